// «Configurazione del sito», for operators with the webmaster role: the
// pages whose configuration block differs from the server's, as visitors'
// browsers report them, and the command that prints the block they must
// carry. Every text is written with textContent, never as HTML.

import { announce as announceIn, siteName as siteNameIn } from './views.js';

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

const T = {
  loading: 'Caricamento delle pagine segnalate…',
  removing: 'Rimozione in corso…',
  removed: "Pagina rimossa dall'elenco.",
  alreadyGone: "La pagina non era più nell'elenco.",
  noSuchSite: 'Questo sito non è più tra quelli di cui curi le pagine: ricarica la console.',
  empty: 'Nessuna pagina segnalata: i blocchi di configurazione delle pagine corrispondono a quello del server.',
  caption: 'Pagine con un blocco di configurazione diverso da quello del server',
  copied: 'Comando copiato.',
  copyManual: 'Non è stato possibile copiare il comando automaticamente: ora è selezionato, premi Ctrl+C (Cmd+C su Mac) per copiarlo.',
  remove: "Rimuovi dall'elenco",
};

/** Italian text for a failed call: a 404 here is about the site, not a conversation. */
const failText = (e, errorText) => (e && (e.code === 'no_such_site' || e.status === 404) ? T.noSuchSite : errorText(e));

const pageOf = (p) => `${p.origin || ''}${p.path || ''}`;
const keyOf = (p) => JSON.stringify([p.origin, p.path]);

/**
 * The view. `api(method, path, body)` and `errorText(error)` are the
 * console's; `start(session)` says whether the operator keeps any site's
 * pages (the view's button is shown only then).
 */
export function createSiteConfig({ api, errorText }) {
  const el = {
    view: $('site-config-view'),
    heading: $('site-config-heading'),
    siteField: $('site-config-site-field'),
    site: $('site-config-site'),
    siteName: $('site-config-site-name'),
    commandLine: $('site-config-command-line'),
    command: $('site-config-command'),
    copy: $('site-config-copy'),
    copyStatus: $('site-config-copy-status'),
    status: $('site-config-status'),
    error: $('site-config-error'),
    list: $('site-config-list'),
  };
  let sites = [];
  let data = null; // the last answer: {site, command, pages}
  let sig = '';
  let seq = 0; // only the answer of the latest request counts
  let epoch = 0; // bumped when the session ends or the site changes
  let loadFailed = false; // the error line shows a failed load (cleared by the next good one)
  const removing = new Set(); // keys of the pages being removed

  const siteId = () => (sites.length > 1 ? el.site.value : (sites[0] ? sites[0].id : ''));
  const siteName = (id) => siteNameIn(sites, id);

  function announce(region, text) {
    const mine = epoch;
    announceIn(region, text, () => mine === epoch);
  }

  function summary() {
    const n = data ? data.pages.length : 0;
    const count = n === 0 ? 'nessuna pagina segnalata' : n === 1 ? '1 pagina segnalata' : `${n} pagine segnalate`;
    const text = sites.length > 1 ? `${siteName(data.site)}: ${count}.` : `${count}.`;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function showCommand(command) {
    el.command.textContent = command || '';
    el.commandLine.hidden = !command;
    el.copyStatus.textContent = '';
  }

  /** Fetch the current site's pages; `announce` sums them up in the status line. */
  async function load({ announce: say = false } = {}) {
    const site = siteId();
    if (!site) return;
    const mine = ++seq;
    if (say) {
      el.status.textContent = T.loading;
      el.error.textContent = '';
      loadFailed = false;
    }
    try {
      const answer = await api('GET', `${API}/stale-pages?site=${encodeURIComponent(site)}`);
      if (mine !== seq) return;
      data = {
        site: answer && typeof answer.site === 'string' ? answer.site : site,
        command: answer && typeof answer.command === 'string' ? answer.command : '',
        pages: answer && Array.isArray(answer.pages) ? answer.pages : [],
      };
      if (el.command.textContent !== data.command) showCommand(data.command);
      render();
      if (loadFailed) {
        loadFailed = false;
        el.error.textContent = '';
      }
      if (say) el.status.textContent = summary();
    } catch (e) {
      if (mine !== seq || e.status === 401) return;
      if (say) el.status.textContent = '';
      if (say || !el.error.textContent) {
        el.error.textContent = failText(e, errorText);
        loadFailed = true;
      }
    }
  }

  /** Rebuild the list when it changed, keeping keyboard focus on the same page's button. */
  function render({ force = false } = {}) {
    const s = JSON.stringify(data);
    if (!force && s === sig && el.list.firstChild) return;
    sig = s;
    const focused = document.activeElement;
    const inList = Boolean(focused && el.list.contains(focused));
    const row = inList ? focused.closest('tr[data-key]') : null;
    const restore = row ? row.dataset.key : null;
    const pages = data ? data.pages : [];
    if (!pages.length) {
      const empty = node('p', 'site-config-empty', T.empty);
      empty.id = 'site-config-empty';
      el.list.replaceChildren(empty);
    } else {
      el.list.replaceChildren(table(pages));
    }
    if (inList && !focusRow(restore)) el.heading.focus();
  }

  function table(pages) {
    const t = node('table', 'site-config-table');
    t.id = 'site-config-table';
    t.append(node('caption', '', T.caption));
    const head = node('thead');
    const tr = node('tr');
    for (const [title, cls] of [['Pagina', ''], ['Ultima segnalazione', ''], ['Segnalazioni', 'num'], ['Azioni', '']]) {
      const th = node('th', cls, title);
      th.scope = 'col';
      tr.append(th);
    }
    head.append(tr);
    const body = node('tbody');
    for (const p of pages) body.append(pageRow(p));
    t.append(head, body);
    return t;
  }

  function pageRow(p) {
    const tr = node('tr');
    tr.dataset.key = keyOf(p);
    tr.dataset.origin = String(p.origin || '');
    tr.dataset.path = String(p.path || '');
    const page = node('th', 'site-config-page', pageOf(p));
    page.scope = 'row';
    const last = node('td');
    last.dataset.label = 'Ultima segnalazione'; // shown before the value on narrow screens
    const time = node('time', '', when(p.last_seen));
    time.dateTime = String(p.last_seen || '');
    last.append(time);
    const n = Number(p.reports) || 0;
    const reports = node('td', 'num', n.toLocaleString('it-IT'));
    reports.dataset.label = 'Segnalazioni';
    const actions = node('td');
    const button = node('button', 'btn btn-small btn-outline site-config-remove', T.remove);
    button.type = 'button';
    button.setAttribute('aria-label', `${T.remove} la pagina ${pageOf(p)}`);
    if (removing.has(tr.dataset.key)) button.setAttribute('aria-disabled', 'true');
    button.addEventListener('click', () => remove(p, button));
    actions.append(button);
    tr.append(page, last, reports, actions);
    return tr;
  }

  /** Focus the remove button of the page `key`; false if it is not listed. */
  function focusRow(key) {
    if (!key) return false;
    for (const tr of el.list.querySelectorAll('tr[data-key]')) {
      if (tr.dataset.key === key) {
        const button = tr.querySelector('button');
        if (button) { button.focus(); return true; }
      }
    }
    return false;
  }

  async function remove(p, button) {
    const key = keyOf(p);
    if (removing.has(key) || !data) return;
    removing.add(key);
    // aria-disabled, not disabled: a disabled button would lose keyboard focus.
    button.setAttribute('aria-disabled', 'true');
    el.error.textContent = '';
    loadFailed = false;
    el.status.textContent = T.removing;
    const site = data.site;
    // Where focus goes afterwards: the next page of the list, else the previous one.
    const order = data.pages.map(keyOf);
    const at = order.indexOf(key);
    const after = at < 0 ? [] : order.slice(at + 1).concat(order.slice(0, at).reverse());
    const mine = epoch;
    let text = T.removed;
    try {
      await api('POST', `${API}/stale-pages/remove`, { site, origin: p.origin, path: p.path });
    } catch (e) {
      if (e.status === 401) { removing.delete(key); return; }
      if (e.code !== 'not_found') {
        removing.delete(key);
        if (mine !== epoch) return;
        el.status.textContent = '';
        el.error.textContent = failText(e, errorText);
        const current = el.list.querySelector(`tr[data-key="${CSS.escape(key)}"] button`);
        if (current) current.removeAttribute('aria-disabled');
        return;
      }
      text = T.alreadyGone; // a colleague took it off meanwhile
    }
    removing.delete(key);
    if (mine !== epoch) return; // session ended or site changed meanwhile
    // Focus moves only if it is still where the operator left it (the button).
    const here = () => !el.view.hidden
      && (el.list.contains(document.activeElement) || document.activeElement === el.heading
        || document.activeElement === document.body || !document.activeElement);
    const move = here();
    if (move) el.heading.focus(); // the row is about to go: keep focus in the view meanwhile
    await load();
    if (mine !== epoch) return;
    announce(el.status, text);
    if (move && here() && !after.some((k) => focusRow(k))) el.heading.focus();
  }

  async function copyCommand() {
    const command = el.command.textContent;
    if (!command) return;
    if (navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
      try {
        await navigator.clipboard.writeText(command);
        announce(el.copyStatus, T.copied);
        return;
      } catch {
        // Not allowed (e.g. not a secure context): select it for the operator.
      }
    }
    const selection = window.getSelection();
    if (selection) {
      selection.removeAllRanges();
      const range = document.createRange();
      range.selectNodeContents(el.command);
      selection.addRange(range);
    }
    announce(el.copyStatus, T.copyManual);
  }

  el.copy.addEventListener('click', copyCommand);
  el.site.addEventListener('change', () => {
    epoch += 1;
    data = null;
    sig = '';
    showCommand('');
    el.list.replaceChildren();
    load({ announce: true });
  });

  return {
    /** A new session; `true` if the operator keeps the pages of any site. */
    start(session) {
      sites = Array.isArray(session.webmaster_sites)
        ? session.webmaster_sites.filter((s) => s && typeof s.id === 'string')
        : [];
      el.site.replaceChildren(...sites.map((s) => new Option(s.name || s.id, s.id)));
      el.siteField.hidden = sites.length < 2;
      el.siteName.textContent = sites.length === 1 ? `Sito: ${sites[0].name || sites[0].id}` : '';
      el.siteName.hidden = sites.length !== 1;
      return sites.length > 0;
    },
    /** The view is shown: focus on its heading, the list loaded and summed up. */
    shown() {
      el.heading.focus();
      load({ announce: true });
    },
    /** Something changed on the server (event stream): reload if the view is shown. */
    refresh() {
      if (!el.view.hidden && sites.length) load();
    },
    stop() {
      seq += 1;
      epoch += 1;
      sites = [];
      data = null;
      sig = '';
      loadFailed = false;
      removing.clear();
      el.site.replaceChildren();
      el.siteField.hidden = true;
      el.siteName.textContent = '';
      el.siteName.hidden = true;
      showCommand('');
      el.list.replaceChildren();
      el.status.textContent = '';
      el.error.textContent = '';
    },
  };
}
