// Prepared replies of the live chat: chosen in the open conversation and
// inserted into the reply (which the operator may still change before
// sending), and kept per site by the operators. Text only, never HTML.

const API = '/operator/api';
const $ = (id) => document.getElementById(id);

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** `reply` is the reply's textarea. */
export function createReplies({ api, errorText, reply }) {
  const el = {
    select: $('prepared-select'),
    insert: $('prepared-insert'),
    list: $('prepared-list'),
    form: $('prepared-form'),
    site: $('prepared-site'),
    siteField: $('prepared-site-field'),
    title: $('prepared-title'),
    text: $('prepared-text'),
    error: $('prepared-error'),
    status: $('prepared-status'),
  };
  let replies = [];
  let sites = [];
  let current = null; // the open conversation's site
  let epoch = 0;

  function siteName(id) {
    const s = sites.find((x) => x.id === id);
    return s ? s.name || s.id : id;
  }

  function render() {
    const usable = replies.filter((r) => !current || r.site === current);
    el.select.replaceChildren(new Option(usable.length ? 'Scegli una risposta…' : 'Nessuna risposta pronta', ''));
    for (const r of usable) el.select.append(new Option(r.title, String(r.id)));
    el.insert.disabled = !usable.length;
    el.list.replaceChildren();
    if (!replies.length) el.list.append(node('li', 'muted', 'Nessuna risposta pronta.'));
    for (const r of replies) {
      const li = node('li');
      li.append(node('strong', '', r.title), node('span', 'muted', sites.length > 1 ? ` (${siteName(r.site)})` : ''),
        node('p', 'prepared-text', r.text));
      const remove = node('button', 'btn btn-small btn-outline', 'Elimina');
      remove.type = 'button';
      remove.setAttribute('aria-label', `Elimina la risposta pronta «${r.title}»`);
      remove.addEventListener('click', () => removeReply(r, remove));
      li.append(remove);
      el.list.append(li);
    }
  }

  async function load() {
    const mine = ++epoch;
    try {
      const data = await api('GET', `${API}/replies`);
      if (mine !== epoch) return;
      replies = data && Array.isArray(data.replies) ? data.replies : [];
      render();
    } catch (e) {
      if (mine === epoch) el.error.textContent = errorText(e);
    }
  }

  async function removeReply(r, button) {
    button.disabled = true;
    el.error.textContent = '';
    try {
      await api('POST', `${API}/replies/${encodeURIComponent(r.id)}/remove`, { site: r.site });
      el.status.textContent = `Risposta pronta «${r.title}» eliminata.`;
      await load();
      el.title.focus();
    } catch (e) {
      button.disabled = false;
      el.error.textContent = errorText(e);
    }
  }

  el.insert.addEventListener('click', () => {
    const r = replies.find((x) => String(x.id) === el.select.value);
    if (!r) {
      el.select.focus();
      return;
    }
    const before = reply.value.slice(0, reply.selectionStart ?? reply.value.length);
    const after = reply.value.slice(reply.selectionEnd ?? reply.value.length);
    const joined = `${before}${before && !/\s$/.test(before) ? ' ' : ''}${r.text}`;
    reply.value = `${joined}${after}`.slice(0, reply.maxLength > 0 ? reply.maxLength : undefined);
    reply.dispatchEvent(new Event('input', { bubbles: true }));
    reply.focus();
    reply.setSelectionRange(joined.length, joined.length);
  });

  el.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    el.error.textContent = '';
    el.status.textContent = '';
    for (const input of [el.title, el.text]) input.removeAttribute('aria-invalid');
    const title = el.title.value.trim();
    const text = el.text.value.trim();
    const missing = !title ? el.title : !text ? el.text : null;
    if (missing) {
      missing.setAttribute('aria-invalid', 'true');
      el.error.textContent = !title ? 'Scrivi il titolo della risposta.' : 'Scrivi il testo della risposta.';
      missing.focus();
      return;
    }
    try {
      await api('POST', `${API}/replies`, { site: el.site.value, title, text });
      el.status.textContent = `Risposta pronta «${title}» aggiunta.`;
      el.title.value = '';
      el.text.value = '';
      await load();
    } catch (err) {
      el.error.textContent = errorText(err);
    }
  });

  return {
    start(session) {
      sites = Array.isArray(session.sites) ? session.sites : [];
      el.site.replaceChildren(...sites.map((s) => new Option(s.name || s.id, s.id)));
      el.siteField.hidden = sites.length < 2;
      current = null;
      load();
    },
    stop() {
      epoch += 1;
      replies = [];
      sites = [];
      current = null;
      el.select.replaceChildren(new Option('Nessuna risposta pronta', ''));
      el.list.replaceChildren();
      el.error.textContent = '';
      el.status.textContent = '';
    },
    /** The open conversation's site: its replies only are offered. */
    forSite(site) {
      current = site || null;
      render();
    },
  };
}
