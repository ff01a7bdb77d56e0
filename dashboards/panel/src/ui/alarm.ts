// Sound and vibration for a new critical case. Browsers allow audio only after a user gesture, so
// the AudioContext is unlocked on the first click anywhere (logging in is one).
let ctx: AudioContext | undefined;

export function unlockAudio(): void {
  const unlock = (): void => {
    try {
      ctx ??= new AudioContext();
      void ctx.resume();
    } catch {
      // no WebAudio: vibration and the red banner still tell the worker
    }
  };
  document.addEventListener('pointerdown', unlock, { once: true, capture: true });
  document.addEventListener('keydown', unlock, { once: true, capture: true });
}

/** three short 880 Hz beeps and a vibration pattern; counts rings in data-rings for the tests */
export function ringCritical(): void {
  document.body.dataset.rings = String(Number(document.body.dataset.rings ?? '0') + 1);
  navigator.vibrate?.([300, 150, 300, 150, 600]);
  if (!ctx || ctx.state !== 'running') return;
  const start = ctx.currentTime;
  for (let i = 0; i < 3; i++) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, start + i * 0.3);
    gain.gain.setValueAtTime(0, start + i * 0.3 + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + i * 0.3);
    osc.stop(start + i * 0.3 + 0.2);
  }
}
