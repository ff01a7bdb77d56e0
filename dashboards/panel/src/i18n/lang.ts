// The panel's languages (kept apart from i18n/index.ts so pure logic can import it without the DOM).
export type Lang = 'zh' | 'en';
