// #/login: person id and password; the session (token + user) goes to localStorage.
import { ApiError, login, saveSession } from '../api.js';
import { lang, setLang, t } from '../i18n/index.js';
import { errorText } from '../page.js';
import type { Session } from '../types.js';
import { h, note } from '../ui/dom.js';

export function renderLogin(root: HTMLElement, onDone: (s: Session) => void): void {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('div', { class: 'msg' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'card login' },
    h('h1', {}, t('appName')),
    h('label', {}, t('login.username'), user),
    h('label', {}, t('login.password'), pass),
    msg,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    msg.replaceChildren();
    login(user.value.trim(), pass.value)
      .then((s) => {
        saveSession(s);
        onDone(s);
      })
      .catch((err: unknown) => {
        const bad = err instanceof ApiError && (err.status === 401 || err.status === 400);
        msg.replaceChildren(note(bad ? t('login.failed') : errorText(err, t), 'error'));
        submit.disabled = false;
      });
  });
  const langBtn = h('button', { type: 'button', class: 'btn-link', 'data-action': 'lang', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); root.replaceChildren(); renderLogin(root, onDone); } }, t('nav.lang'));
  root.replaceChildren(h('div', { class: 'login-wrap' }, form, langBtn));
  user.focus();
}
