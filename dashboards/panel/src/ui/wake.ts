// Keeps the screen on (Screen Wake Lock API) while a critical case waits for acknowledgement, so a
// phone on the night stand does not go dark over an open gas leak. body[data-wake] tells the
// tests (and the curious) what the panel asked for: "on" wanted and held, "wanted" refused or
// unsupported, absent when not needed.
let lock: WakeLockSentinel | undefined;
let want = false;

async function acquire(): Promise<void> {
  if (!want || lock || document.visibilityState !== 'visible') return;
  try {
    const l = await navigator.wakeLock.request('screen');
    if (!want) return void l.release();
    lock = l;
    document.body.dataset.wake = 'on';
    l.addEventListener('release', () => {
      lock = undefined;
      if (want) document.body.dataset.wake = 'wanted';
    });
  } catch {
    document.body.dataset.wake = 'wanted';
  }
}

export function keepAwake(on: boolean): void {
  if (on === want) return;
  want = on;
  if (on) {
    document.body.dataset.wake = 'wanted';
    void acquire();
  } else {
    delete document.body.dataset.wake;
    void lock?.release();
    lock = undefined;
  }
}

// the browser drops the lock when the tab is hidden; take it again when it comes back
document.addEventListener('visibilitychange', () => void acquire());
