// The history of closed live chats: searched in the stored messages, which
// are masked (codici fiscali, e-mail addresses, phone numbers...), and read
// as stored. Text only, never HTML.

const API = '/operator/api';
const AUTHORS = { visitor: 'Visitatore', assistant: 'Assistente', operator: 'Operatore', system: 'Sistema' };
const $ = (id) => document.getElementById(id);

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString('it-IT', { timeZone: 'Europe/Rome', dateStyle: 'short', timeStyle: 'short' });
}

export function createHistory({ api, errorText }) {
  const el = {
    heading: $('history-heading'),
    form: $('history-form'),
    search: $('history-search'),
    status: $('history-status'),
    error: $('history-error'),
    list: $('history-list'),
    transcript: $('history-transcript'),
    transcriptTitle: $('history-transcript-title'),
    messages: $('history-messages'),
    back: $('history-back'),
  };
  let epoch = 0;
  let opener = null;

  async function load() {
    const mine = ++epoch;
    el.error.textContent = '';
    el.status.textContent = 'Ricerca in corso…';
    const q = el.search.value.trim();
    try {
      const data = await api('GET', `${API}/history${q ? `?q=${encodeURIComponent(q)}` : ''}`);
      if (mine !== epoch) return;
      const convs = data && Array.isArray(data.conversations) ? data.conversations : [];
      el.list.replaceChildren();
      for (const c of convs) {
        const li = node('li');
        const open = node('button', 'btn btn-small btn-outline', 'Leggi');
        open.type = 'button';
        open.setAttribute('aria-label', `Leggi la conversazione chiusa ${when(c.closed_at)}`);
        open.addEventListener('click', () => read(c.thread_id, open));
        li.append(
          node('p', 'conv-site', `${c.site_name}, chiusa ${when(c.closed_at)}${c.operator ? ` (${c.operator})` : ''}`),
          node('p', 'conv-details', c.first_message || '(nessun messaggio del visitatore)'),
          open,
        );
        el.list.append(li);
      }
      el.status.textContent = convs.length
        ? `${convs.length === 1 ? '1 conversazione' : `${convs.length} conversazioni`}${q ? ` con «${q}»` : ' chiuse di recente'}.`
        : (q ? `Nessuna conversazione con «${q}».` : 'Nessuna conversazione chiusa.');
    } catch (e) {
      if (mine !== epoch) return;
      el.status.textContent = '';
      el.error.textContent = errorText(e);
    }
  }

  async function read(threadId, button) {
    el.error.textContent = '';
    try {
      const data = await api('GET', `${API}/history/${encodeURIComponent(threadId)}`);
      opener = button;
      el.transcriptTitle.textContent = `${data.item.site_name}, chiusa ${when(data.item.closed_at)}`;
      el.messages.replaceChildren();
      for (const m of data.messages) {
        const li = node('li', `msg ${m.author}`);
        li.append(node('p', 'msg-text', m.text), node('p', 'msg-meta', `${AUTHORS[m.author] || m.author}, ${when(m.created_at)}`));
        el.messages.append(li);
      }
      el.transcript.hidden = false;
      el.transcriptTitle.focus();
    } catch (e) {
      el.error.textContent = errorText(e);
    }
  }

  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    el.transcript.hidden = true;
    load();
  });
  el.back.addEventListener('click', () => {
    el.transcript.hidden = true;
    if (opener && opener.isConnected) opener.focus(); else el.heading.focus();
  });

  return {
    shown() {
      el.heading.focus();
      load();
    },
    stop() {
      epoch += 1;
      opener = null;
      el.list.replaceChildren();
      el.messages.replaceChildren();
      el.transcript.hidden = true;
      el.search.value = '';
      el.status.textContent = '';
      el.error.textContent = '';
    },
  };
}
