// Desktop notifications and a sound when a visitor starts waiting, once the
// operator has allowed them («Attiva le notifiche»): a shift is long, and
// the console is often behind another window. Nothing is shown for the
// waiting list of the first load, only for visitors who arrive later.

const $ = (id) => document.getElementById(id);

export function createAlerts() {
  const el = { button: $('alerts'), state: $('alerts-state') };
  const supported = typeof window.Notification === 'function';
  let known = null; // thread ids waiting at the last look; null before the first
  let audio = null; // made on the operator's click: browsers start sound only after one

  function render() {
    if (!supported) {
      el.button.hidden = true;
      el.state.textContent = 'Questo browser non mostra notifiche: il numero di visitatori in attesa è nel titolo della scheda.';
      return;
    }
    const permission = window.Notification.permission;
    el.button.hidden = permission !== 'default' && !(permission === 'granted' && !audio);
    el.button.textContent = permission === 'granted' ? 'Attiva il suono' : 'Attiva le notifiche';
    el.state.textContent = permission === 'granted'
      ? (audio ? 'Notifiche e suono attivi per i nuovi visitatori in attesa.' : 'Notifiche attive.')
      : permission === 'denied'
        ? 'Notifiche bloccate nelle impostazioni del browser.'
        : '';
  }

  function beep() {
    if (!audio) return;
    try {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch {
      // No sound: the notification and the title still say it.
    }
  }

  el.button.addEventListener('click', async () => {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !audio) audio = new Context();
    } catch {
      audio = null;
    }
    if (supported && window.Notification.permission === 'default') {
      try { await window.Notification.requestPermission(); } catch { /* stays default */ }
    }
    render();
  });

  return {
    start() {
      known = null;
      render();
    },
    stop() {
      known = null;
    },
    /** The waiting conversations now: notify those that were not there before. */
    waiting(convs) {
      const ids = new Set(convs.map((c) => c.thread_id));
      const arrived = known === null ? [] : convs.filter((c) => !known.has(c.thread_id));
      known = ids;
      if (!arrived.length) return;
      if (supported && window.Notification.permission === 'granted') {
        for (const c of arrived) {
          try {
            const n = new window.Notification('Un visitatore attende un operatore', {
              body: `${c.site_name || c.site}: in coda da adesso.`,
              tag: `varco-${c.thread_id}`,
            });
            n.onclick = () => { window.focus(); n.close(); };
          } catch {
            // Some browsers allow notifications only from a service worker.
          }
        }
      }
      beep();
    },
  };
}
