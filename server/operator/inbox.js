// The inbox of the operator console: the messages visitors left when no
// operator could answer, unanswered first. Each is answered by e-mail, in
// the visitor's language. Texts are shown as stored (personal data masked);
// every text is written with textContent, never as HTML.

const API = '/operator/api';
const $ = (id) => document.getElementById(id);

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** Date and time in Rome, as the history shows them. */
function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return d.toLocaleString('it-IT', { timeZone: 'Europe/Rome', dateStyle: 'short', timeStyle: 'short' });
}

const MAX_ANSWER = 5000; // the server's limit

const ERRORS = {
  already_answered: 'Un collega ha già risposto a questo messaggio.',
  mail_not_configured: 'Il server non è configurato per inviare e-mail: la risposta non è partita. Occorre avvisare l\'amministratore.',
  invalid_recipient: "L'indirizzo e-mail del visitatore non può ricevere messaggi: non è possibile rispondere per e-mail.",
  invalid_text: `Il testo della risposta non è valido: va scritto come testo semplice, senza caratteri speciali di controllo, entro ${MAX_ANSWER} caratteri.`,
};

/**
 * The inbox view. `api`, `errorText` and `languageName` are the console's;
 * the view's button shows how many messages wait for an answer.
 */
export function createInbox({ api, errorText, languageName }) {
  const el = {
    button: $('view-inbox'),
    view: $('inbox-view'),
    heading: $('inbox-heading'),
    status: $('inbox-status'),
    error: $('inbox-error'),
    list: $('inbox-list'),
  };
  let messages = [];
  let sig = '';
  let epoch = 0;
  let busy = false;
  let again = false;
  let loadFailed = false; // the view's error line shows a failed load (cleared by the next good one)
  const drafts = new Map(); // message id -> unsent answer: it survives a refresh
  const sending = new Set();

  const unanswered = () => messages.filter((m) => !m.answered_at);

  function showCount() {
    const n = unanswered().length;
    el.button.textContent = n ? `Messaggi (${n})` : 'Messaggi';
  }

  function summary() {
    const n = unanswered().length;
    if (!messages.length) return 'Nessun messaggio.';
    const waiting = n === 0 ? 'Nessun messaggio in attesa di risposta'
      : n === 1 ? '1 messaggio in attesa di risposta' : `${n} messaggi in attesa di risposta`;
    return `${waiting}, ${messages.length === 1 ? '1 messaggio' : `${messages.length} messaggi`} in tutto.`;
  }

  /** Fetch the inbox; one request at a time, one asked meanwhile runs after it. */
  async function load({ announce = false } = {}) {
    if (busy) { again = true; return; }
    busy = true;
    const mine = epoch;
    try {
      const data = await api('GET', `${API}/inbox`);
      if (mine !== epoch) return;
      const list = data && Array.isArray(data.messages) ? data.messages : [];
      // Unanswered first (the server's order otherwise kept: sort is stable).
      messages = list.slice().sort((a, b) => Number(Boolean(a.answered_at)) - Number(Boolean(b.answered_at)));
      showCount();
      if (!el.view.hidden) render();
      if (loadFailed) {
        loadFailed = false;
        el.error.textContent = '';
      }
      if (announce) el.status.textContent = summary();
    } catch (e) {
      if (mine !== epoch || e.status === 401) return;
      if (!el.view.hidden && (announce || !el.error.textContent)) {
        el.error.textContent = errorText(e);
        loadFailed = true;
      }
    } finally {
      if (mine === epoch) {
        busy = false;
        if (again) { again = false; load(); }
      }
    }
  }

  /** Rebuild the list when it changed, keeping drafts and keyboard focus. */
  function render({ force = false } = {}) {
    const s = JSON.stringify(messages);
    if (!force && s === sig && el.list.firstChild) return;
    sig = s;
    const focused = document.activeElement;
    let restore = null;
    if (focused && el.list.contains(focused)) {
      const li = focused.closest('li[data-message-id]');
      restore = {
        id: focused.id,
        item: li ? li.dataset.messageId : null,
        start: focused.selectionStart,
        end: focused.selectionEnd,
      };
    }
    if (!messages.length) {
      el.list.replaceChildren(node('li', 'empty', 'Nessun messaggio lasciato dai visitatori.'));
    } else {
      el.list.replaceChildren(...messages.map(item));
    }
    if (restore) {
      const same = restore.id && $(restore.id);
      if (same && el.list.contains(same)) {
        same.focus();
        if (same.tagName === 'TEXTAREA' && typeof restore.start === 'number') {
          same.setSelectionRange(restore.start, restore.end);
        }
      } else {
        focusItem(restore.item);
      }
    }
  }

  function focusItem(id) {
    const title = id !== null && id !== undefined ? $(`inbox-title-${id}`) : null;
    (title || el.heading).focus();
  }

  function item(m) {
    const id = String(m.id);
    const answered = Boolean(m.answered_at);
    const lang = languageName(m.language);
    const li = node('li');
    li.id = `inbox-item-${id}`;
    li.dataset.messageId = id;
    li.dataset.state = answered ? 'answered' : 'unanswered';

    const title = node('h3', 'inbox-title', `${m.site_name || m.site || ''}, ${when(m.created_at)}`);
    title.id = `inbox-title-${id}`;
    title.tabIndex = -1;
    const details = node('p', 'conv-details',
      `${answered ? 'Con risposta' : 'In attesa di risposta'} · Lingua: ${lang} · E-mail: ${m.email || ''}`);
    details.id = `inbox-details-${id}`;
    li.append(title, details, node('p', 'inbox-label', 'Messaggio del visitatore:'), node('p', 'inbox-text', m.text || ''));

    if (answered) {
      li.append(
        node('p', 'inbox-label', `Risposta di ${m.answered_by || 'un operatore'}, ${when(m.answered_at)}, inviata per e-mail in ${lang}:`),
        node('p', 'inbox-text inbox-answer-text', m.answer || ''),
      );
    } else {
      li.append(answerForm(m, id, lang));
    }
    return li;
  }

  function answerForm(m, id, lang) {
    const form = node('form', 'inbox-answer');
    form.noValidate = true;
    const label = node('label', '', `Risposta a ${m.email || 'il visitatore'} (in ${lang})`);
    label.htmlFor = `inbox-answer-${id}`;
    const text = node('textarea');
    text.id = `inbox-answer-${id}`;
    text.maxLength = MAX_ANSWER;
    text.rows = 4;
    text.value = drafts.get(id) || '';
    const help = node('p', 'muted', `L'e-mail parte in ${lang}, la lingua del visitatore: conviene scrivere la risposta in ${lang}.`);
    help.id = `inbox-help-${id}`;
    const error = node('p', 'error');
    error.id = `inbox-error-${id}`;
    error.setAttribute('role', 'alert');
    text.setAttribute('aria-describedby', `${help.id} ${error.id}`);
    const send = node('button', 'btn btn-primary', 'Invia la risposta per e-mail');
    send.type = 'submit';
    send.id = `inbox-send-${id}`;
    // Every form has this button: the message's title says which one it is.
    send.setAttribute('aria-describedby', `inbox-title-${id}`);
    if (sending.has(id)) send.setAttribute('aria-disabled', 'true');
    const actions = node('div', 'actions');
    actions.append(send);
    form.append(label, text, help, error, actions);

    text.addEventListener('input', () => {
      drafts.set(id, text.value);
      text.removeAttribute('aria-invalid');
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      answer(m, id, text, error, send);
    });
    return form;
  }

  async function answer(m, id, text, error, send) {
    if (sending.has(id)) return;
    const value = text.value.trim();
    error.textContent = '';
    el.error.textContent = '';
    loadFailed = false;
    if (!value) {
      text.setAttribute('aria-invalid', 'true');
      error.textContent = 'Scrivi il testo della risposta.';
      text.focus();
      return;
    }
    sending.add(id);
    // aria-disabled, not disabled: a disabled button would lose keyboard focus.
    send.setAttribute('aria-disabled', 'true');
    el.status.textContent = 'Invio della risposta in corso…';
    const mine = epoch;
    try {
      await api('POST', `${API}/inbox/${encodeURIComponent(id)}/answer`, { text: value });
      if (mine !== epoch) return;
      sending.delete(id);
      drafts.delete(id);
      el.status.textContent = `Risposta inviata a ${m.email || 'il visitatore'}.`;
      await refreshAfter(id);
    } catch (err) {
      sending.delete(id);
      if (mine !== epoch || err.status === 401) return;
      el.status.textContent = '';
      if (err.code === 'already_answered') {
        drafts.delete(id);
        el.error.textContent = ERRORS.already_answered;
        await refreshAfter(id, { sameItem: true });
        return;
      }
      const current = $(`inbox-send-${id}`) || send;
      current.removeAttribute('aria-disabled');
      const where = $(`inbox-error-${id}`) || error;
      where.textContent = ERRORS[err.code] || (err.status === 404
        ? 'Messaggio non trovato: potrebbe essere stato eliminato.'
        : errorText(err));
      if (err.code === 'invalid_text') {
        const box = $(`inbox-answer-${id}`);
        if (box) { box.setAttribute('aria-invalid', 'true'); box.focus(); }
      }
    }
  }

  /**
   * Reload after an answer: focus goes to the next message waiting for one
   * (or, with `sameItem`, to the message itself), else the view's heading.
   */
  async function refreshAfter(id, { sameItem = false } = {}) {
    const order = unanswered().map((m) => String(m.id));
    const at = order.indexOf(id);
    const next = order.slice(at + 1).concat(order.slice(0, Math.max(at, 0))).filter((x) => x !== id);
    el.heading.focus(); // the form is about to go: keep focus in the view meanwhile
    await load();
    if (sameItem) { focusItem(id); return; }
    const target = next.find((x) => $(`inbox-title-${x}`));
    focusItem(target ?? null);
  }

  return {
    /** The view is shown: heading focused, list loaded and summed up. */
    shown() {
      el.error.textContent = '';
      render({ force: true });
      el.heading.focus();
      load({ announce: true });
    },
    /** Something changed on the server (event stream): count, and list if shown. */
    refresh() {
      load();
    },
    start() {
      load();
    },
    stop() {
      epoch += 1;
      busy = false;
      again = false;
      messages = [];
      sig = '';
      drafts.clear();
      sending.clear();
      el.list.replaceChildren();
      el.status.textContent = '';
      el.error.textContent = '';
      showCount();
    },
  };
}
