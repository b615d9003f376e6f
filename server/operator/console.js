// Varco operator console (loaded as a module: strict mode, private scope,
// runs after the document is parsed). Server text only ever reaches the page
// through textContent / createTextNode, never as HTML.

import { createAgenda } from './agenda.js';
import { createAlerts } from './alerts.js';
import { createReplies } from './replies.js';
import { createHistory } from './history.js';
import { createInbox } from './inbox.js';
import { createSiteConfig } from './siteconfig.js';
import { createReports } from './reports.js';
import { createKb } from './kb.js';

const API = '/operator/api';
const LIST_DEBOUNCE_MS = 200;
const LIST_POLL_MS = 15000;
const TYPING_SHOW_MS = 5000;
const TYPING_SEND_MS = 3000;
const CLOSE_FALLBACK_MS = 8000;

const T = {
  network: 'Impossibile contattare il server. Controlla la connessione e riprova.',
  expired: 'La sessione è scaduta: accedi di nuovo.',
  loggedOut: 'Sei uscito dalla console.',
  missingCredentials: 'Inserisci nome utente e password.',
  invalidCredentials: 'Nome utente o password non corretti.',
  rateLimited: 'Troppi tentativi. Riprova tra qualche minuto.',
  loginFailed: 'Accesso non riuscito. Riprova più tardi.',
  loggingIn: 'Accesso in corso…',
  forbidden: 'Operazione non consentita. Ricarica la pagina e riprova.',
  serverError: 'Errore del server. Riprova tra poco.',
  genericError: 'Operazione non riuscita. Riprova.',
  tooMany: 'Troppe richieste. Riprova tra qualche minuto.',
  alreadyTaken: 'Questa conversazione è già stata presa in carico da un altro operatore.',
  threadEnded: 'La conversazione è già terminata.',
  notFound: 'Conversazione non trovata: potrebbe essere già terminata.',
  listFailed: 'Impossibile aggiornare l’elenco delle conversazioni. Nuovo tentativo tra poco.',
  logoutFailed: 'Uscita non riuscita. Riprova.',
  noWaiting: 'Nessuna conversazione in attesa.',
  noActive: 'Nessuna conversazione in corso.',
  take: 'Prendi in carico',
  open: 'Apri',
  visitorTyping: 'Il visitatore sta scrivendo…',
  ended: 'La conversazione è terminata.',
  unavailable: 'La conversazione non è più disponibile: potrebbe essere terminata.',
  reconnecting: 'Collegamento interrotto: nuovo tentativo in corso…',
  emptyReply: 'Scrivi un messaggio prima di inviarlo.',
  notSent: 'Messaggio non inviato. Riprova.',
  endedNotSent: 'La conversazione è terminata: il messaggio non è stato inviato.',
  closing: 'Chiusura in corso…',
  closeFailed: 'Impossibile chiudere la conversazione. Riprova.',
  newWindow: ' (si apre in una nuova finestra)',
  presenceSaving: 'Aggiornamento dello stato…',
  presenceFailed: 'Impossibile cambiare lo stato. Riprova.',
  transferLoading: 'Caricamento dei colleghi e degli uffici…',
  transferLoadFailed: 'Impossibile caricare i colleghi e gli uffici. Riprova.',
  transferNone: 'Nessun collega o ufficio a cui trasferire la conversazione.',
  transferNoColleagues: 'Nessun altro operatore per questo sito.',
  transferNoOffices: 'Nessun ufficio per questo sito.',
  transferChoose: 'Scegli un collega disponibile o un ufficio.',
  transferring: 'Trasferimento in corso…',
  transferNotOnline: 'Il collega scelto non è più disponibile: scegline un altro o un ufficio.',
  transferGone: "Il collega o l'ufficio scelto non c'è più: scegline un altro.",
  transferChooseOne: 'Scegli un collega oppure un ufficio, non entrambi.',
  transferNotYours: 'La conversazione non è più seguita da te: non è possibile trasferirla.',
  transferInvalidNote: 'La nota non è valida: va scritta come testo semplice, senza caratteri speciali di controllo, entro 500 caratteri.',
};

const PRESENCE = { online: 'Disponibile', away: 'In pausa', offline: 'Non disponibile' };
const PRESENCE_LOWER = { online: 'disponibile', away: 'in pausa', offline: 'non disponibile' };

const AUTHORS = {
  visitor: 'Visitatore',
  assistant: 'Assistente',
  operator: 'Operatore',
  system: 'Avviso',
};

const LANGUAGES = { it: 'italiano', en: 'inglese', de: 'tedesco', fr: 'francese', es: 'spagnolo' };

const $ = (id) => document.getElementById(id);
const el = {
  boot: $('boot-status'),
  loginScreen: $('login-screen'),
  loginForm: $('login-form'),
  username: $('username'),
  password: $('password'),
  loginSubmit: $('login-submit'),
  loginError: $('login-error'),
  loginStatus: $('login-status'),
  console: $('console'),
  consoleTitle: $('console-title'),
  operatorName: $('operator-name'),
  operatorSites: $('operator-sites'),
  logout: $('logout'),
  listStatus: $('list-status'),
  waitingHeading: $('waiting-heading'),
  activeHeading: $('active-heading'),
  waitingCount: $('waiting-count'),
  activeCount: $('active-count'),
  waitingList: $('waiting-list'),
  activeList: $('active-list'),
  conversation: $('conversation'),
  convTitle: $('conversation-title'),
  convMeta: $('conversation-meta'),
  messages: $('messages'),
  typing: $('visitor-typing'),
  convStatus: $('conversation-status'),
  convError: $('conversation-error'),
  replyForm: $('reply-form'),
  reply: $('reply'),
  send: $('send'),
  replyError: $('reply-error'),
  retry: $('reply-retry'),
  closeBtn: $('close-conversation'),
  closeQuestion: $('close-question'),
  closeConfirm: $('close-confirm'),
  closeCancel: $('close-cancel'),
  convNote: $('conversation-note'),
  presence: $('presence'),
  presenceStatus: $('presence-status'),
  presenceError: $('presence-error'),
  transferOpen: $('transfer-open'),
  transferForm: $('transfer-form'),
  transferStatus: $('transfer-status'),
  transferColleagues: $('transfer-colleagues'),
  transferOffices: $('transfer-offices'),
  transferNote: $('transfer-note'),
  transferError: $('transfer-error'),
  transferSubmit: $('transfer-submit'),
  transferCancel: $('transfer-cancel'),
};

const state = {
  session: null,
  epoch: 0, // bumped on logout/expiry so that late answers of an old session are dropped
  listES: null,
  pollTimer: 0,
  debounceTimer: 0,
  listBusy: false,
  listAgain: false,
  listSig: '',
  listStatusKind: '', // 'fetch' errors clear themselves on the next good fetch; others stay
  conversations: [],
  conv: null, // the open conversation, see openConversation()
  drafts: new Map(), // thread id -> {text, pending}: unsent text survives switching
  loginBusy: false,
  presence: 'online', // as the server last confirmed it
  presenceSeq: 0,
  transferEpoch: 0, // bumped when the transfer form closes: late answers change nothing
};

// ---------------------------------------------------------------- helpers

class ApiError extends Error {
  constructor(status, code) {
    super(`HTTP ${status} ${code}`);
    this.status = status; // 0 = network failure
    this.code = code;
  }
}

/** JSON request to the console API. A 401 ends the session unless `auth` is false. */
async function api(method, path, body, { auth = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && state.session) headers['X-CSRF-Token'] = state.session.csrf_token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network');
  }
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    const err = data && data.error;
    const code = typeof err === 'string' ? err : (err && typeof err.code === 'string' ? err.code : '');
    if (res.status === 401 && auth) sessionExpired();
    throw new ApiError(res.status, code);
  }
  return data;
}

/** Italian text for a failed call; never the server's English message. */
function errorText(e) {
  if (!(e instanceof ApiError)) return T.genericError;
  switch (e.code) {
    case 'already_taken': return T.alreadyTaken;
    case 'thread_ended': return T.threadEnded;
    case 'rate_limited': return T.tooMany;
    default: break;
  }
  if (e.status === 0) return T.network;
  if (e.status === 403) return T.forbidden;
  if (e.status === 404) return T.notFound;
  if (e.status === 429) return T.tooMany;
  if (e.status >= 500) return T.serverError;
  return T.genericError;
}

const threadPath = (id) => `${API}/threads/${encodeURIComponent(id)}`;
const languageName = (code) => LANGUAGES[code] || String(code || '').toUpperCase() || 'non indicata';
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function waitedText(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const min = Math.max(0, Math.floor((Date.now() - t) / 60000)); // clamp clock skew
  if (min < 1) return 'In attesa da meno di un minuto';
  if (min < 60) return `In attesa da ${plural(min, 'minuto', 'minuti')}`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return `In attesa da ${plural(h, 'ora', 'ore')}${m ? ` e ${plural(m, 'minuto', 'minuti')}` : ''}`;
}

function clockTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString('it-IT', { hour: '2-digit', minute: '2-digit' });
}

/** UUID v4; randomUUID only exists in secure contexts, getRandomValues everywhere. */
function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** Only http(s) links (relative ones resolve against this origin). */
function safeUrl(raw) {
  try {
    const u = new URL(String(raw), window.location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function parseData(ev) {
  try { return JSON.parse(ev.data); } catch { return null; }
}

// ---------------------------------------------------------------- screens

function showLogin({ error = '', status = '' } = {}) {
  el.boot.hidden = true;
  el.console.hidden = true;
  el.loginScreen.hidden = false;
  el.loginError.textContent = error;
  el.loginStatus.textContent = status;
  el.password.value = '';
  el.loginSubmit.disabled = false;
  document.title = 'Accesso — Console operatori Varco';
  el.username.focus();
}

function startConsole(session, { focus = true } = {}) {
  if (!session || typeof session.csrf_token !== 'string') {
    showLogin({ error: T.loginFailed });
    return;
  }
  state.session = session;
  el.operatorName.textContent = session.display_name || session.username || '';
  const sites = Array.isArray(session.sites) ? session.sites.map((s) => s.name || s.id) : [];
  el.operatorSites.textContent = sites.length ? `Siti: ${sites.join(', ')}` : 'Nessun sito assegnato.';
  el.loginError.textContent = '';
  el.loginStatus.textContent = '';
  el.boot.hidden = true;
  el.loginScreen.hidden = true;
  el.console.hidden = false;
  $('view-agenda').hidden = !agenda.start(session);
  $('view-site-config').hidden = !siteConfig.start(session);
  $('view-reports').hidden = !reports.start(session);
  $('view-kb').hidden = !kb.start(session);
  showView('chat', { focus: false });
  showPresence(Object.prototype.hasOwnProperty.call(PRESENCE, session.presence) ? session.presence : 'online');
  alerts.start();
  replies.start(session);
  inbox.start();
  renderLists();
  refreshList();
  openListStream();
  state.pollTimer = window.setInterval(refreshList, LIST_POLL_MS);
  if (focus) el.consoleTitle.focus();
}

/** Forget everything of the session: streams, timers, lists, messages, drafts. */
function teardown() {
  state.epoch += 1;
  if (state.listES) state.listES.close();
  state.listES = null;
  window.clearInterval(state.pollTimer);
  window.clearTimeout(state.debounceTimer);
  state.pollTimer = 0;
  state.debounceTimer = 0;
  state.listBusy = false;
  state.listAgain = false;
  state.listSig = '';
  state.listStatusKind = '';
  state.conversations = [];
  state.session = null; // before dropConversation: no draft is kept for a dead session
  agenda.stop();
  history.stop();
  inbox.stop();
  siteConfig.stop();
  reports.stop();
  kb.stop();
  alerts.stop();
  replies.stop();
  dropConversation();
  state.drafts.clear();
  el.operatorName.textContent = '';
  el.operatorSites.textContent = '';
  el.listStatus.textContent = '';
  el.waitingList.replaceChildren();
  el.activeList.replaceChildren();
  el.waitingCount.textContent = '(0)';
  el.activeCount.textContent = '(0)';
  state.presenceSeq += 1; // a late answer of the old session changes nothing
  el.presenceStatus.textContent = '';
  el.presenceError.textContent = '';
}

function sessionExpired() {
  if (!state.session) return; // already on the login screen
  teardown();
  showLogin({ error: T.expired });
}

// ---------------------------------------------------------------- login / logout

el.loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (state.loginBusy) return;
  const username = el.username.value.trim();
  const password = el.password.value;
  el.username.removeAttribute('aria-invalid');
  el.password.removeAttribute('aria-invalid');
  if (!username || !password) {
    const first = username ? el.password : el.username;
    first.setAttribute('aria-invalid', 'true');
    el.loginError.textContent = T.missingCredentials;
    first.focus();
    return;
  }
  state.loginBusy = true;
  el.loginSubmit.disabled = true;
  el.loginError.textContent = '';
  el.loginStatus.textContent = T.loggingIn;
  try {
    const session = await api('POST', `${API}/login`, { username, password }, { auth: false });
    el.password.value = '';
    startConsole(session);
  } catch (err) {
    el.loginStatus.textContent = '';
    let msg = T.loginFailed;
    if (err.status === 401) msg = T.invalidCredentials;
    else if (err.status === 429) msg = T.rateLimited;
    else if (err.status === 0) msg = T.network;
    el.loginError.textContent = msg;
    el.password.value = '';
    if (err.status === 401) {
      el.username.setAttribute('aria-invalid', 'true');
      el.password.setAttribute('aria-invalid', 'true');
    }
    el.password.focus();
  } finally {
    state.loginBusy = false;
    el.loginSubmit.disabled = false;
  }
});

// Typing again clears the "invalid" marking of a field.
for (const input of [el.username, el.password]) {
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
}

el.logout.addEventListener('click', async () => {
  if (el.logout.getAttribute('aria-disabled') === 'true') return;
  el.logout.setAttribute('aria-disabled', 'true');
  try {
    await api('POST', `${API}/logout`, undefined, { auth: false });
  } catch (err) {
    if (err.status !== 401) { // 401: already logged out on the server, fine
      setListStatus(T.logoutFailed, 'logout');
      return;
    }
  } finally {
    el.logout.removeAttribute('aria-disabled');
  }
  teardown();
  showLogin({ status: T.loggedOut });
});

// ---------------------------------------------------------------- presence

function showPresence(value) {
  state.presence = value;
  el.presence.value = value;
}

el.presence.addEventListener('change', async () => {
  const value = el.presence.value;
  if (!Object.prototype.hasOwnProperty.call(PRESENCE, value) || !state.session) return;
  const seq = ++state.presenceSeq; // only the last choice's answer counts
  el.presenceError.textContent = '';
  el.presenceStatus.textContent = T.presenceSaving;
  try {
    await api('POST', `${API}/presence`, { presence: value });
    if (seq !== state.presenceSeq) return;
    state.presence = value;
    el.presenceStatus.textContent = `Stato aggiornato: ${PRESENCE_LOWER[value]}.`;
  } catch (err) {
    if (seq !== state.presenceSeq || err.status === 401) return;
    el.presence.value = state.presence; // back to what the server has
    el.presenceStatus.textContent = '';
    el.presenceError.textContent = err.status === 0 ? T.network : `${T.presenceFailed} Lo stato resta: ${PRESENCE_LOWER[state.presence]}.`;
  }
});

// ---------------------------------------------------------------- conversation list

function setListStatus(text, kind) {
  el.listStatus.textContent = text;
  state.listStatusKind = text ? kind : '';
}

/**
 * Something changed on the server: the list, the inbox's count (a message
 * left), the pages reported to the webmaster (if that view is shown).
 */
function scheduleRefresh() {
  window.clearTimeout(state.debounceTimer);
  state.debounceTimer = window.setTimeout(() => {
    refreshList();
    inbox.refresh();
    siteConfig.refresh();
  }, LIST_DEBOUNCE_MS);
}

/** Fetch the list; at most one request in flight, a request asked meanwhile runs after it. */
async function refreshList() {
  if (!state.session) return;
  if (state.listBusy) { state.listAgain = true; return; }
  state.listBusy = true;
  const epoch = state.epoch;
  try {
    const data = await api('GET', `${API}/conversations`);
    if (epoch !== state.epoch) return;
    state.conversations = data && Array.isArray(data.conversations) ? data.conversations : [];
    alerts.waiting(state.conversations.filter((c) => c.state === 'waiting'));
    renderLists();
    if (state.listStatusKind === 'fetch') setListStatus('', '');
    if (!state.listES) openListStream(); // it gave up (e.g. server restarted): try again
  } catch (err) {
    if (epoch !== state.epoch || err.status === 401) return;
    setListStatus(T.listFailed, 'fetch');
  } finally {
    if (epoch === state.epoch) {
      state.listBusy = false;
      if (state.listAgain) { state.listAgain = false; refreshList(); }
    }
  }
}

function openListStream() {
  if (state.listES || !state.session) return;
  const es = new EventSource(`${API}/events`);
  state.listES = es;
  es.addEventListener('changed', scheduleRefresh);
  // After a reconnection changes may have been missed.
  es.addEventListener('open', scheduleRefresh);
  es.addEventListener('error', () => {
    // A dropped connection reconnects by itself; CLOSED means the browser gave
    // up (HTTP error): the 15 s poll reopens it, or meets the 401.
    if (es.readyState === EventSource.CLOSED && state.listES === es) {
      es.close();
      state.listES = null;
    }
  });
}

/** Rebuild both lists (only when the data changed), keeping keyboard focus in place. */
function renderLists() {
  const convs = state.conversations;
  const waiting = convs.filter((c) => c.state === 'waiting');
  const active = convs.filter((c) => c.state === 'active');
  el.waitingCount.textContent = `(${waiting.length})`;
  el.activeCount.textContent = `(${active.length})`;
  document.title = `${waiting.length ? `(${waiting.length}) ` : ''}Console operatori — Varco`;

  const sig = JSON.stringify(convs);
  if (sig === state.listSig && el.waitingList.firstChild) {
    // Same data: only the waiting times move on; don't disturb screen readers.
    for (const span of document.querySelectorAll('.conv-wait')) {
      span.textContent = waitedText(span.dataset.queuedAt);
    }
    markCurrent();
    return;
  }
  state.listSig = sig;

  const focused = document.activeElement;
  let restore = null;
  if (focused && focused.closest && focused.closest('.conv-list')) {
    const li = focused.closest('li[data-thread-id]');
    restore = { id: li ? li.dataset.threadId : null, list: focused.closest('ul').id };
  }

  fillList(el.waitingList, waiting, T.noWaiting);
  fillList(el.activeList, active, T.noActive);
  markCurrent();
  const open = state.conv && !state.conv.ended && convs.find((c) => c.thread_id === state.conv.id);
  if (open && open.mine) showConversationNote(open);

  if (restore) {
    // Same conversation's button if still there (it may have moved list), else the heading.
    const li = restore.id && findItem(restore.id);
    const button = li && li.querySelector('button');
    if (button) button.focus();
    else (restore.list === 'active-list' ? el.activeHeading : el.waitingHeading).focus();
  }
}

function findItem(threadId) {
  for (const li of document.querySelectorAll('.conv-list > li[data-thread-id]')) {
    if (li.dataset.threadId === threadId) return li;
  }
  return null;
}

function fillList(ul, convs, emptyText) {
  if (!convs.length) {
    ul.replaceChildren(node('li', 'empty', emptyText));
    return;
  }
  ul.replaceChildren(...convs.map(renderItem));
}

function renderItem(c) {
  const li = node('li');
  li.dataset.threadId = c.thread_id;
  li.dataset.state = c.state;
  const info = node('div', 'conv-info');
  info.id = `conv-info-${c.thread_id}`;
  info.append(node('p', 'conv-site', c.site_name || c.site || ''));
  const details = node('p', 'conv-details');
  const parts = [node('span', '', `Lingua: ${languageName(c.language)}`)];
  if (c.state === 'waiting') {
    const wait = node('span', 'conv-wait', waitedText(c.queued_at));
    wait.dataset.queuedAt = c.queued_at || '';
    parts.push(wait);
    if (c.position) parts.push(node('span', '', `Posizione in coda: ${c.position}`));
  } else {
    parts.push(node('span', '', c.mine ? 'Seguita da te' : `Seguita da ${c.operator || 'un altro operatore'}`));
  }
  if (c.office) parts.push(node('span', 'conv-office', `Per l'ufficio ${c.office}`));
  parts.forEach((p, i) => {
    if (i) details.append(document.createTextNode(' · '));
    details.append(p);
  });
  info.append(details);
  li.append(info);
  // Internal: the colleague's note, never shown to the visitor.
  if (c.note) li.append(node('p', 'conv-note', noteText(c)));

  // An older server sends no can_take: anyone may take.
  const canTake = c.state === 'waiting' && c.can_take !== false;
  if (c.state === 'waiting' && !canTake) {
    li.append(node('p', 'conv-details conv-why', c.office
      ? `La prende in carico un operatore dell'ufficio ${c.office}.`
      : 'Non puoi prenderla in carico.'));
  }

  let button = null;
  if (canTake) button = node('button', 'take btn btn-primary', T.take);
  else if (c.mine) button = node('button', 'open btn btn-outline', T.open);
  if (button) {
    button.type = 'button';
    // Many buttons share a label: the entry's description says which one this is.
    button.setAttribute('aria-describedby', info.id);
    li.append(button);
  }
  return li;
}

function noteText(c) {
  return `Nota di ${c.note_by || 'un collega'}: ${c.note}`;
}

function markCurrent() {
  const id = state.conv ? state.conv.id : null;
  for (const li of document.querySelectorAll('.conv-list > li[data-thread-id]')) {
    const current = li.dataset.threadId === id;
    li.classList.toggle('current', current);
    if (current) li.setAttribute('aria-current', 'true');
    else li.removeAttribute('aria-current');
  }
}

function onListClick(e) {
  const button = e.target.closest('button');
  const li = button && button.closest('li[data-thread-id]');
  if (!li) return;
  const c = state.conversations.find((x) => x.thread_id === li.dataset.threadId);
  if (!c) return;
  if (button.classList.contains('take')) take(c, button);
  else if (button.classList.contains('open')) openConversation(c);
}
el.waitingList.addEventListener('click', onListClick);
el.activeList.addEventListener('click', onListClick);

// Busy buttons get aria-disabled, not disabled: a disabled button loses keyboard focus.
async function take(c, button) {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  setListStatus('', '');
  const epoch = state.epoch;
  try {
    const taken = await api('POST', `${threadPath(c.thread_id)}/take`);
    if (epoch !== state.epoch) return;
    // The list's entry fills in what the answer may leave out (the colleague's note).
    openConversation({ ...c, state: 'active', mine: true, ...(taken && taken.thread_id ? taken : {}) });
    scheduleRefresh();
  } catch (err) {
    if (epoch !== state.epoch || err.status === 401) return;
    button.removeAttribute('aria-disabled');
    setListStatus(errorText(err), 'take');
    refreshList();
  }
}

// ---------------------------------------------------------------- conversation

/**
 * Open a conversation of mine: one EventSource, replayed from the start.
 * conv = {id, es, lastId, ended, sending, closing, pending, lastTypingAt, timers}
 */
function openConversation(c) {
  if (state.conv && state.conv.id === c.thread_id && !state.conv.ended) {
    el.reply.focus();
    return;
  }
  dropConversation();
  const draft = state.drafts.get(c.thread_id) || { text: '', pending: null };
  const conv = {
    id: c.thread_id,
    es: null,
    lastId: -Infinity,
    ended: false,
    sending: false,
    closing: false,
    pending: draft.pending, // {id, text} of a send that failed: a retry reuses its id
    lastTypingAt: 0,
    failures: 0,
    typingTimer: 0,
    retryTimer: 0,
    closeTimer: 0,
  };
  state.conv = conv;

  el.convTitle.textContent = `${c.site_name || c.site || ''} — conversazione ${String(c.thread_id).slice(0, 8)}`;
  el.convMeta.textContent = `Lingua del visitatore: ${languageName(c.language)}`;
  showConversationNote(c);
  el.reply.value = draft.text;
  replies.forSite(c.site);
  setFormEnabled(true);
  el.conversation.hidden = false;
  markCurrent();
  connectConversation(conv);
  el.reply.focus();
}

/** Close the open conversation's stream and timers and blank the pane. */
function dropConversation() {
  const conv = state.conv;
  if (conv) {
    if (!conv.ended && state.session) {
      state.drafts.set(conv.id, { text: el.reply.value, pending: conv.pending });
    }
    if (conv.es) conv.es.close();
    window.clearTimeout(conv.typingTimer);
    window.clearTimeout(conv.retryTimer);
    window.clearTimeout(conv.closeTimer);
  }
  state.conv = null;
  el.messages.replaceChildren();
  el.typing.textContent = '';
  el.convStatus.textContent = '';
  el.convError.textContent = '';
  el.replyError.textContent = '';
  el.retry.hidden = true;
  el.reply.value = '';
  el.convTitle.textContent = '';
  el.convMeta.textContent = '';
  showConversationNote(null);
  showCloseStep(false);
  showTransfer(false);
  el.conversation.hidden = true;
}

/** The note of the colleague who passed the conversation on, above its messages. */
function showConversationNote(c) {
  const text = c && c.note ? `${noteText(c)} (non la vede il visitatore)` : '';
  if (el.convNote.textContent !== text) el.convNote.textContent = text;
  el.convNote.hidden = !text;
}

function connectConversation(conv) {
  const es = new EventSource(`${threadPath(conv.id)}/events`);
  conv.es = es;
  const mine = (fn) => (ev) => { if (state.conv === conv && conv.es === es) fn(ev); };

  es.addEventListener('message', mine((ev) => {
    // Stored events carry an increasing id: skip any already shown (replays).
    const id = Number.parseInt(ev.lastEventId, 10);
    if (Number.isFinite(id)) {
      if (id <= conv.lastId) return;
      conv.lastId = id;
    }
    const data = parseData(ev);
    if (data && data.message) onMessage(conv, data.message);
  }));
  es.addEventListener('typing', mine((ev) => {
    const data = parseData(ev);
    if (data && data.author === 'visitor') showVisitorTyping(conv);
  }));
  es.addEventListener('end', mine(() => markEnded(conv, T.ended)));
  es.addEventListener('open', mine(() => {
    conv.failures = 0;
    if (el.convStatus.textContent === T.reconnecting) el.convStatus.textContent = '';
  }));
  es.addEventListener('error', mine(() => {
    if (conv.ended) return;
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      conv.es = null;
      recoverStream(conv);
    } else {
      el.convStatus.textContent = T.reconnecting; // the browser reconnects by itself
    }
  }));
}

/** The browser gave up on the stream (HTTP error): check why, then reopen with backoff. */
async function recoverStream(conv) {
  el.convStatus.textContent = T.reconnecting;
  let list = null;
  try {
    const data = await api('GET', `${API}/conversations`);
    list = data && Array.isArray(data.conversations) ? data.conversations : [];
  } catch (err) {
    if (err.status === 401) return; // session expired: login screen shown
  }
  if (state.conv !== conv || conv.ended) return;
  if (list) {
    state.conversations = list;
    renderLists();
    const c = list.find((x) => x.thread_id === conv.id);
    if (!c || c.state !== 'active' || !c.mine) {
      markEnded(conv, T.unavailable);
      return;
    }
  }
  const delay = Math.min(30000, 2000 * 2 ** conv.failures);
  conv.failures += 1;
  // Reopening replays from the start; the id check in the handler drops what is shown.
  conv.retryTimer = window.setTimeout(() => {
    if (state.conv === conv && !conv.ended) connectConversation(conv);
  }, delay);
}

function onMessage(conv, msg) {
  const author = Object.prototype.hasOwnProperty.call(AUTHORS, msg.author) ? msg.author : 'system';
  if (author === 'visitor') hideVisitorTyping(conv);
  // My failed send was stored after all (e.g. the answer was lost): forget the retry.
  if (conv.pending && msg.client_message_id && msg.client_message_id === conv.pending.id) {
    if (el.reply.value.trim() === conv.pending.text) el.reply.value = '';
    conv.pending = null;
    el.replyError.textContent = '';
    el.retry.hidden = true;
  }
  el.messages.append(renderMessage(author, msg));
  el.messages.scrollTop = el.messages.scrollHeight;
}

function renderMessage(author, msg) {
  const item = node('div', `msg ${author}`);
  item.append(node('span', 'sr-only', `${AUTHORS[author]}: `));
  item.append(node('p', 'msg-text', typeof msg.text === 'string' ? msg.text : ''));

  if (author === 'assistant' && Array.isArray(msg.links) && msg.links.length) {
    const ul = node('ul', 'msg-links');
    for (const link of msg.links) {
      const href = link && safeUrl(link.url);
      if (!href) continue;
      const a = node('a', '', String(link.title || link.url));
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.append(node('span', 'sr-only', T.newWindow));
      const li = node('li');
      li.append(a);
      ul.append(li);
    }
    if (ul.firstChild) item.append(ul);
  }

  const meta = node('p', 'msg-meta');
  const who = node('span', '', AUTHORS[author]); // visible name; the hidden label already says it
  who.setAttribute('aria-hidden', 'true');
  meta.append(who);
  const hhmm = clockTime(msg.created_at);
  if (hhmm) {
    const sep = document.createTextNode(' · ');
    const time = node('time', '', hhmm);
    time.dateTime = String(msg.created_at);
    meta.append(sep, time);
  }
  item.append(meta);
  return item;
}

function showVisitorTyping(conv) {
  if (el.typing.textContent !== T.visitorTyping) el.typing.textContent = T.visitorTyping;
  window.clearTimeout(conv.typingTimer);
  conv.typingTimer = window.setTimeout(() => hideVisitorTyping(conv), TYPING_SHOW_MS);
}

function hideVisitorTyping(conv) {
  window.clearTimeout(conv.typingTimer);
  el.typing.textContent = '';
}

function setFormEnabled(on) {
  el.reply.disabled = !on;
  el.send.disabled = !on;
  el.closeBtn.disabled = !on;
  el.transferOpen.disabled = !on;
  if (!on) showTransfer(false);
}

function markEnded(conv, text) {
  if (conv.ended) return;
  conv.ended = true;
  if (conv.es) conv.es.close();
  conv.es = null;
  window.clearTimeout(conv.retryTimer);
  window.clearTimeout(conv.closeTimer);
  hideVisitorTyping(conv);
  state.drafts.delete(conv.id);
  conv.pending = null;
  // Focus would be lost on a control about to be disabled: keep it in the pane.
  const focusInside = el.conversation.contains(document.activeElement)
    && document.activeElement !== el.messages;
  showCloseStep(false);
  setFormEnabled(false);
  el.retry.hidden = true;
  el.convError.textContent = '';
  el.convStatus.textContent = text;
  if (focusInside) el.convTitle.focus();
  scheduleRefresh();
}

// ---------------------------------------------------------------- reply

async function sendReply() {
  const conv = state.conv;
  if (!conv || conv.ended || conv.sending) return;
  const text = el.reply.value.trim();
  if (!text) {
    el.replyError.textContent = T.emptyReply;
    el.retry.hidden = true;
    el.reply.focus();
    return;
  }
  // Same text as a failed send: same client_message_id, so the server stores it once.
  if (!conv.pending || conv.pending.text !== text) conv.pending = { id: uuid(), text };
  const pending = conv.pending;
  conv.sending = true; // guards double sends; the button keeps focus (no disabled)
  el.send.setAttribute('aria-disabled', 'true');
  el.replyError.textContent = '';
  el.retry.hidden = true;
  try {
    await api('POST', `${threadPath(conv.id)}/messages`, { client_message_id: pending.id, text });
    if (state.conv !== conv) return;
    // The message shows up when its event arrives on the stream.
    if (conv.pending === pending) conv.pending = null;
    if (el.reply.value.trim() === text) el.reply.value = ''; // keep anything typed meanwhile
    conv.lastTypingAt = 0;
  } catch (err) {
    if (state.conv !== conv || err.status === 401) return;
    if (err.code === 'thread_ended') {
      markEnded(conv, T.ended);
      el.replyError.textContent = T.endedNotSent;
    } else {
      el.replyError.textContent = T.notSent;
      el.retry.hidden = false;
    }
  } finally {
    conv.sending = false;
    el.send.removeAttribute('aria-disabled');
  }
}

el.replyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  sendReply();
});

el.reply.addEventListener('keydown', (e) => {
  // Enter sends, Shift+Enter is a new line; not while an IME is composing.
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendReply();
  }
});

el.retry.addEventListener('click', () => {
  el.reply.focus(); // the retry button hides itself while sending
  sendReply();
});

el.reply.addEventListener('input', () => {
  const conv = state.conv;
  if (!conv || conv.ended) return;
  // Edited text is a new message: the retry no longer applies to it.
  if (conv.pending && el.reply.value.trim() !== conv.pending.text) el.retry.hidden = true;
  if (!el.reply.value.trim()) return;
  const now = Date.now();
  if (now - conv.lastTypingAt < TYPING_SEND_MS) return;
  conv.lastTypingAt = now;
  api('POST', `${threadPath(conv.id)}/typing`).catch(() => {}); // best effort
});

// ---------------------------------------------------------------- close (two steps, no confirm())

function showCloseStep(on) {
  el.closeBtn.hidden = on;
  el.transferOpen.hidden = on;
  el.closeQuestion.hidden = !on;
  el.closeConfirm.hidden = !on;
  el.closeCancel.hidden = !on;
}

el.closeBtn.addEventListener('click', () => {
  if (!state.conv || state.conv.ended) return;
  el.convError.textContent = '';
  showTransfer(false);
  showCloseStep(true);
  el.closeConfirm.focus();
});

function cancelClose() {
  if (state.conv && state.conv.closing) return;
  showCloseStep(false);
  el.closeBtn.focus();
}
el.closeCancel.addEventListener('click', cancelClose);
$('close-area').addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !el.closeCancel.hidden) {
    e.preventDefault();
    cancelClose();
  }
});

el.closeConfirm.addEventListener('click', async () => {
  const conv = state.conv;
  if (!conv || conv.ended || conv.closing) return;
  conv.closing = true;
  el.closeConfirm.setAttribute('aria-disabled', 'true');
  el.convError.textContent = '';
  el.convStatus.textContent = T.closing;
  try {
    await api('POST', `${threadPath(conv.id)}/close`);
    if (state.conv !== conv) return;
    // The end event normally follows on the stream; don't wait forever if it doesn't.
    conv.closeTimer = window.setTimeout(() => markEnded(conv, T.ended), CLOSE_FALLBACK_MS);
  } catch (err) {
    if (state.conv !== conv || err.status === 401) return;
    if (err.code === 'thread_ended') {
      markEnded(conv, T.ended);
      return;
    }
    el.convStatus.textContent = '';
    el.convError.textContent = err.status === 0 ? T.network : T.closeFailed;
    showCloseStep(true);
    el.closeConfirm.focus();
  } finally {
    conv.closing = false;
    el.closeConfirm.removeAttribute('aria-disabled');
  }
});

// ---------------------------------------------------------------- transfer (inline form, no modal)

/** Show or hide the transfer form; focus is the caller's business. */
function showTransfer(on) {
  el.transferForm.hidden = !on;
  el.transferOpen.setAttribute('aria-expanded', String(on));
  if (!on) {
    state.transferEpoch += 1;
    el.transferStatus.textContent = '';
    el.transferError.textContent = '';
    el.transferNote.value = '';
    el.transferSubmit.removeAttribute('aria-disabled');
    fillTargets(null);
  }
}

function closeTransfer() {
  if (state.conv && state.conv.transferring) return;
  showTransfer(false);
  el.transferOpen.focus();
}

el.transferOpen.addEventListener('click', () => {
  const conv = state.conv;
  if (!conv || conv.ended) return;
  if (!el.transferForm.hidden) { // a disclosure: the button also closes it
    closeTransfer();
    return;
  }
  showCloseStep(false);
  el.convError.textContent = '';
  showTransfer(true);
  loadTargets(conv, { focus: true });
});

el.transferCancel.addEventListener('click', closeTransfer);
el.transferForm.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    e.preventDefault();
    closeTransfer();
  }
});

async function loadTargets(conv, { focus = false } = {}) {
  const epoch = state.transferEpoch;
  el.transferStatus.textContent = T.transferLoading;
  try {
    const data = await api('GET', `${threadPath(conv.id)}/transfer`);
    if (state.conv !== conv || epoch !== state.transferEpoch) return;
    const operators = data && Array.isArray(data.operators) ? data.operators : [];
    const offices = data && Array.isArray(data.offices) ? data.offices : [];
    fillTargets({ operators, offices });
    el.transferStatus.textContent = operators.length || offices.length ? '' : T.transferNone;
    if (focus) {
      const first = el.transferForm.querySelector('input[name="transfer-target"]:not(:disabled)');
      (first || el.transferNote).focus();
    }
  } catch (err) {
    if (state.conv !== conv || epoch !== state.transferEpoch || err.status === 401) return;
    el.transferStatus.textContent = '';
    el.transferError.textContent = err.status === 0 ? T.network : T.transferLoadFailed;
  }
}

/** The choices: colleagues (only those online can be chosen), then offices. */
function fillTargets(targets) {
  const heading = (group) => group.firstElementChild;
  const operators = targets ? targets.operators : [];
  const offices = targets ? targets.offices : [];
  const colleagues = operators.map((o, i) => {
    const presence = Object.prototype.hasOwnProperty.call(PRESENCE_LOWER, o.presence) ? o.presence : 'offline';
    const name = o.display_name || o.username;
    const label = `${name}${o.office ? ` (ufficio ${o.office})` : ''} — ${PRESENCE_LOWER[presence]}`;
    return choice(`transfer-operator-${i}`, `operator:${o.username}`, label, presence !== 'online', { name });
  });
  const officeChoices = offices.map((o, i) => {
    const n = Number(o.online) || 0;
    const online = n === 0 ? 'nessun operatore disponibile'
      : n === 1 ? '1 operatore disponibile' : `${n} operatori disponibili`;
    return choice(`transfer-office-${i}`, `office:${o.name}`, `Ufficio ${o.name} — ${online}`, false, { name: o.name });
  });
  el.transferColleagues.replaceChildren(heading(el.transferColleagues),
    ...(colleagues.length || !targets ? colleagues : [node('p', 'muted', T.transferNoColleagues)]));
  el.transferOffices.replaceChildren(heading(el.transferOffices),
    ...(officeChoices.length || !targets ? officeChoices : [node('p', 'muted', T.transferNoOffices)]));
}

function choice(id, value, label, disabled, { name }) {
  const row = node('div', 'choice');
  const input = node('input');
  input.type = 'radio';
  input.name = 'transfer-target';
  input.id = id;
  input.value = value;
  input.disabled = disabled;
  input.dataset.name = name;
  const text = node('label', '', label);
  text.htmlFor = id;
  row.append(input, text);
  return row;
}

el.transferForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const conv = state.conv;
  if (!conv || conv.ended || conv.transferring) return;
  el.transferError.textContent = '';
  const picked = el.transferForm.querySelector('input[name="transfer-target"]:checked');
  if (!picked || picked.disabled) {
    el.transferError.textContent = T.transferChoose;
    const first = el.transferForm.querySelector('input[name="transfer-target"]:not(:disabled)');
    (first || el.transferCancel).focus();
    return;
  }
  const toOffice = picked.value.startsWith('office:');
  const target = picked.value.slice(toOffice ? 'office:'.length : 'operator:'.length);
  const body = toOffice ? { office: target } : { operator: target };
  body.note = el.transferNote.value.trim();
  const who = picked.dataset.name;
  conv.transferring = true;
  el.transferSubmit.setAttribute('aria-disabled', 'true');
  el.transferStatus.textContent = T.transferring;
  try {
    await api('POST', `${threadPath(conv.id)}/transfer`, body);
    if (state.conv !== conv) return;
    conv.transferring = false;
    const done = toOffice
      ? `Conversazione trasferita all'ufficio ${who}: il visitatore attende in coda un operatore di quell'ufficio.`
      : `Conversazione trasferita a ${who}.`;
    // No longer mine: dropped as when it is closed, focus on the pane's title.
    markEnded(conv, done);
    if (el.convStatus.textContent !== done) el.convStatus.textContent = done; // an end event came first
    if (!document.activeElement || document.activeElement === document.body) el.convTitle.focus();
  } catch (err) {
    if (state.conv !== conv) return;
    conv.transferring = false;
    el.transferSubmit.removeAttribute('aria-disabled');
    el.transferStatus.textContent = '';
    if (err.status === 401) return;
    if (err.code === 'thread_ended') {
      markEnded(conv, T.ended);
      return;
    }
    const reload = ['not_online', 'no_such_operator', 'no_such_office'].includes(err.code);
    el.transferError.textContent = {
      not_online: T.transferNotOnline,
      no_such_operator: T.transferGone,
      no_such_office: T.transferGone,
      choose_one: T.transferChooseOne,
      not_yours: T.transferNotYours,
      invalid_note: T.transferInvalidNote,
      invalid_text: T.transferInvalidNote,
    }[err.code] || errorText(err);
    if (err.code === 'invalid_note' || err.code === 'invalid_text') el.transferNote.focus();
    if (reload) loadTargets(conv);
    if (err.code === 'not_yours') scheduleRefresh();
  }
});

// ---------------------------------------------------------------- start

const agenda = createAgenda({ api, errorText });
const alerts = createAlerts();
const replies = createReplies({ api, errorText, reply: el.reply });
const history = createHistory({ api, errorText });
const inbox = createInbox({ api, errorText, languageName });
const siteConfig = createSiteConfig({ api, errorText });
const reports = createReports({ api, errorText });
const kb = createKb({ api, errorText });

// ---------------------------------------------------------------- views

const VIEWS = {
  chat: { button: 'view-chat', section: 'chat-view', shown: () => {} },
  history: { button: 'view-history', section: 'history-view', shown: () => history.shown() },
  inbox: { button: 'view-inbox', section: 'inbox-view', shown: () => inbox.shown() },
  agenda: { button: 'view-agenda', section: 'agenda-view', shown: () => agenda.shown() },
  siteConfig: { button: 'view-site-config', section: 'site-config-view', shown: () => siteConfig.shown() },
  reports: { button: 'view-reports', section: 'reports-view', shown: () => reports.shown() },
  kb: { button: 'view-kb', section: 'kb-view', shown: () => kb.shown() },
};

/**
 * Shows one view (conversations, history, inbox, the desk agenda, the site's
 * configuration, the reports), the others hidden.
 */
function showView(name, { focus = true } = {}) {
  for (const [key, view] of Object.entries(VIEWS)) {
    $(view.section).hidden = key !== name;
    $(view.button).setAttribute('aria-pressed', String(key === name));
  }
  if (focus) VIEWS[name].shown();
}

for (const [name, view] of Object.entries(VIEWS)) {
  $(view.button).addEventListener('click', () => showView(name));
}

async function boot() {
  try {
    const session = await api('GET', `${API}/session`, undefined, { auth: false });
    startConsole(session, { focus: false });
  } catch (err) {
    showLogin({ error: err.status === 401 ? '' : errorText(err) });
  }
}

boot();
