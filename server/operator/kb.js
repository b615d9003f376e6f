// «Base di conoscenza», for operators with the webmaster role on a site that
// has a knowledge base: one entry of the virtual assistant edited, checked,
// tried against a question and published; its history, and one step back.
// Every text is written with textContent, never as HTML: answers are
// markdown and are shown as plain text.

import { MONTHS, announce as announceIn, siteName as siteNameIn } from './views.js';

const API = '/operator/api';
const COUNT_DELAY_MS = 400; // the number of entries found is said once typing pauses

const $ = (id) => document.getElementById(id);

const T = {
  loadingList: 'Caricamento delle voci…',
  loadingEntry: 'Caricamento della voce…',
  noSuchSite: 'Non puoi più modificare la base di conoscenza di questo sito: ricarica la console.',
  noSuchEntry: "Questa voce non c'è più nella base di conoscenza: l'elenco delle voci è stato aggiornato.",
  changedMeanwhile: "Nel frattempo un'altra persona ha pubblicato una nuova versione di questa voce, quindi le tue modifiche non sono state pubblicate. Ricarica la voce per vedere il testo attuale: le tue modifiche andranno perse, perciò se ti servono copiale prima.",
  nothingToRevert: "Non c'è una versione precedente a cui tornare.",
  edit: 'Modifica',
  empty: 'La base di conoscenza di questo sito non ha voci.',
  noMatch: (q) => `Nessuna voce corrisponde alla ricerca «${q}».`,
  neverEdited: 'Testo dei file sul server, mai modificato nella console.',
  withEnglish: 'Con versione inglese.',
  open: 'È la voce aperta.',
  openDirty: 'È la voce aperta, con modifiche non pubblicate.',
  filesOnly: 'Nessuna versione pubblicata dalla console: il testo è quello dei file sul server.',
  checking: 'Controllo della voce in corso…',
  noProblems: 'Nessun problema: la voce può essere pubblicata.',
  toFix: 'Da correggere prima di pubblicare:',
  notPublished: 'La voce non è stata pubblicata perché contiene errori.',
  refusedNoProblems: 'Il server non ha accettato la voce, ma il controllo non ha trovato errori. Riprova tra qualche minuto.',
  trying: 'Ricerca della risposta in corso…',
  noQuestion: 'Scrivi la domanda da provare.',
  asked: 'Domanda provata: ',
  inItalian: ' (in italiano)',
  inEnglish: ' (in inglese)',
  noAnswer: "L'assistente non ha trovato una voce che risponda a questa domanda.",
  cannotTry: 'Non è possibile provare la domanda finché la voce contiene errori.',
  invalidQuestion: 'La domanda deve avere al massimo 500 caratteri.',
  fromDraft: 'Risponde la voce che stai modificando.',
  fromOther: (title, id) => `Risponde un'altra voce: ${title} (${id}).`,
  fromPublished: 'Risponde la versione pubblicata di questa voce, non il testo che stai modificando.',
  answerTitle: 'Titolo della risposta: ',
  answerText: 'Testo della risposta:',
  publishing: 'Pubblicazione in corso…',
  published: (v) => `Pubblicata la versione ${v}: l'assistente risponde già con il nuovo testo.`,
  nothingToPublish: 'Non ci sono modifiche da pubblicare.',
  nothingToDiscard: 'Non ci sono modifiche da annullare.',
  discarded: 'Modifiche annullate: la voce mostra di nuovo il testo pubblicato.',
  reloaded: 'Voce ricaricata: mostra il testo pubblicato più recente.',
  reverting: 'Ritorno alla versione precedente in corso…',
  reverted: (n, v) => `Pubblicata di nuovo la versione ${n}, che ora è la versione ${v}: l'assistente risponde già con quel testo.`,
  revertQuestion: (n) => `Pubblicare di nuovo la versione ${n}? L'assistente risponderà subito con quel testo.`,
  unsavedLost: ' Le modifiche non pubblicate andranno perse.',
  busy: "Attendi la fine dell'operazione in corso.",
  leaveEntry: (from, to) => `La voce «${from}» ha modifiche non pubblicate, che andranno perse. Aprire comunque la voce «${to}»?`,
  leaveEntryConfirm: 'Apri e abbandona le modifiche',
  leaveSite: (from, to) => `La voce «${from}» ha modifiche non pubblicate, che andranno perse. Passare comunque al sito ${to}?`,
  leaveSiteConfirm: 'Cambia sito e abbandona le modifiche',
  keepEditing: 'No, continua a modificare',
  link: (n) => `Collegamento ${n}`,
  linkTitle: 'Titolo',
  linkUrl: 'Indirizzo',
  remove: 'Rimuovi',
  removeWhich: (n) => ` il collegamento ${n}`,
  linkRemoved: (n) => `Collegamento ${n} rimosso.`,
  enLinkLabel: (n, url) => (url
    ? `Titolo in inglese del collegamento ${n}: ${url}`
    : `Titolo in inglese del collegamento ${n} (indirizzo non ancora indicato)`),
  noLinksEn: 'La voce non ha ancora collegamenti: aggiungili nella parte italiana.',
  current: ' (attuale)',
  noAuthor: 'nessun autore',
  noDate: 'data non indicata',
};

const ORIGINS = {
  console: 'Console',
  files: 'File sul server',
  revert: 'Ritorno alla versione precedente',
};

const PARTS = { it: 'Italiano', en: 'Inglese' };

// ---------------------------------------------------------------- helpers

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** A span in another language, so that screen readers pronounce it right. */
function inLanguage(text, lang) {
  const span = node('span', '', text);
  if (lang && lang !== 'it') span.lang = lang;
  return span;
}

const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);
const list = (v) => (Array.isArray(v) ? v : []);
const strings = (v) => list(v).map((s) => (s === null || s === undefined ? '' : String(s)));
const optionalMs = (v) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** One item per non-empty line, trimmed. */
const lines = (text) => String(text || '').split('\n').map((s) => s.trim()).filter(Boolean);
/** A long text as typed, with its line breaks, without blank ends. */
const longText = (text) => String(text || '').replace(/\r\n?/g, '\n').trim();
/** Lower case, without accents: «Società» is found by «societa». */
const fold = (text) => String(text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

const ROME = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Europe/Rome',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h23',
});

// Italian writes the first of the month as an ordinal: «1º dicembre».
const dayText = (day) => (day === 1 ? '1º' : String(day));

/** Day and time in Rome of a time in milliseconds, or null. */
function moment(ms) {
  if (ms === null || ms === undefined) return null;
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return null;
  const p = {};
  for (const part of ROME.formatToParts(d)) p[part.type] = part.value;
  const day = Number(p.day);
  const hour = Number(p.hour) % 24;
  return {
    day,
    hour,
    date: `${dayText(day)} ${MONTHS[Number(p.month) - 1]} ${p.year}`,
    time: `${hour}:${p.minute}`,
    iso: d.toISOString(),
  };
}

/** «alle 10:15», «all'1:05». */
const atTime = (m) => `${m.hour === 1 ? "all'" : 'alle '}${m.time}`;

/** «6 dicembre 2026 alle 10:15». */
function dateTimeText(ms) {
  const m = moment(ms);
  return m ? `${m.date} ${atTime(m)}` : '';
}

/** «il 6 dicembre 2026 alle 10:15», «l'8 dicembre 2026 alle 9:30». */
function onText(ms) {
  const m = moment(ms);
  if (!m) return '';
  return `${m.day === 8 || m.day === 11 ? "l'" : 'il '}${m.date} ${atTime(m)}`;
}

/** Visible short text, read out as the long one. */
function spoken(short, long) {
  const wrap = node('span');
  const eye = node('span', '', short);
  eye.setAttribute('aria-hidden', 'true');
  wrap.append(eye, node('span', 'sr-only', long));
  return wrap;
}

// The server's author of the versions taken from the entry's files.
const FILES_AUTHOR = 'file sul server';

/**
 * «Versione 3, modificata da web il 6 dicembre 2026 alle 10:15.»; a
 * version taken from the files or going back one step says so. The list
 * gives no origin: there the files' author tells it.
 */
function changeText(version, by, ms, origin = '') {
  const on = onText(ms);
  const when = on ? ` ${on}` : '';
  if (origin === 'files' || (!origin && by === FILES_AUTHOR)) {
    return `Versione ${version}, presa dai file sul server${when}.`;
  }
  const head = origin === 'revert' ? `Versione ${version} (${ORIGINS.revert.toLowerCase()})` : `Versione ${version}`;
  const verb = origin === 'revert' ? 'pubblicata' : 'modificata';
  if (by) return `${head}, ${verb} da ${by}${when}.`;
  if (on) return `${head}, ${verb}${when}.`;
  return `${head}.`;
}

// ---------------------------------------------------------------- answers

function normaliseList(answer, site) {
  const a = answer && typeof answer === 'object' ? answer : {};
  return {
    site: typeof a.site === 'string' ? a.site : site,
    topics: list(a.topics).filter((t) => t && typeof t.id === 'string')
      .map((t) => ({ id: t.id, title: String(t.title || t.id) })),
    entries: list(a.entries).filter((e) => e && typeof e.id === 'string').map((e) => ({
      id: e.id,
      topic: String(e.topic || ''),
      title: String(e.title || e.id),
      english: e.english === true,
      version: num(e.version),
      changed_by: typeof e.changed_by === 'string' && e.changed_by ? e.changed_by : null,
      changed_ms: optionalMs(e.changed_ms),
    })),
  };
}

function normaliseEntry(raw, id) {
  const e = raw && typeof raw === 'object' ? raw : {};
  const en = e.english && typeof e.english === 'object' ? e.english : null;
  return {
    id: typeof e.id === 'string' ? e.id : id,
    topic: String(e.topic || ''),
    title: String(e.title || ''),
    questions: strings(e.questions),
    keywords: strings(e.keywords),
    links: list(e.links).map((l) => ({ title: String((l && l.title) || ''), url: String((l && l.url) || '') })),
    answer: String(e.answer || ''),
    english: en ? {
      title: String(en.title || ''),
      questions: strings(en.questions),
      keywords: strings(en.keywords),
      link_titles: strings(en.link_titles),
      answer: String(en.answer || ''),
    } : null,
  };
}

function normaliseHistory(raw) {
  return list(raw).filter((h) => h && typeof h === 'object').map((h) => ({
    version: num(h.version),
    origin: String(h.origin || ''),
    author: typeof h.author === 'string' ? h.author : '',
    created_ms: optionalMs(h.created_ms),
    title: String(h.title || ''),
  }));
}

// ---------------------------------------------------------------- the view

/**
 * The view. `api(method, path, body)` and `errorText(error)` are the
 * console's; `start(session)` says whether the operator may edit the
 * knowledge base of any site (the view's button is shown only then).
 */
export function createKb({ api, errorText }) {
  const el = {
    view: $('kb-view'),
    heading: $('kb-heading'),
    siteField: $('kb-site-field'),
    site: $('kb-site'),
    siteName: $('kb-site-name'),
    filter: $('kb-filter'),
    count: $('kb-count'),
    list: $('kb-list'),
    status: $('kb-status'),
    error: $('kb-error'),
    reloadLine: $('kb-reload-line'),
    reload: $('kb-reload'),
    none: $('kb-none'),
    editor: $('kb-editor'),
    entryHeading: $('kb-entry-heading'),
    entryMeta: $('kb-entry-meta'),
    dirty: $('kb-dirty'),
    form: $('kb-entry'),
    title: $('kb-title'),
    questions: $('kb-questions'),
    keywords: $('kb-keywords'),
    links: $('kb-links'),
    addLink: $('kb-add-link'),
    answer: $('kb-answer'),
    englishOn: $('kb-english-on'),
    englishDropped: $('kb-english-dropped'),
    enFields: $('kb-en-fields'),
    enTitle: $('kb-en-title'),
    enQuestions: $('kb-en-questions'),
    enKeywords: $('kb-en-keywords'),
    enLinks: $('kb-en-links'),
    enAnswer: $('kb-en-answer'),
    actions: $('kb-check').parentElement,
    check: $('kb-check'),
    publish: $('kb-publish'),
    discard: $('kb-discard'),
    discardQuestion: $('kb-discard-question'),
    discardConfirm: $('kb-discard-confirm'),
    discardCancel: $('kb-discard-cancel'),
    problems: $('kb-problems'),
    tryForm: $('kb-try-form'),
    tryQuestion: $('kb-try-question'),
    tryLanguage: $('kb-try-language'),
    tryButton: $('kb-try'),
    tryResult: $('kb-try-result'),
    historyEmpty: $('kb-history-empty'),
    history: $('kb-history'),
    revertArea: $('kb-revert-area'),
    revert: $('kb-revert'),
    revertQuestion: $('kb-revert-question'),
    revertConfirm: $('kb-revert-confirm'),
    revertCancel: $('kb-revert-cancel'),
  };
  // Where the empty-question error is written, under the question's field.
  const tryError = node('p', 'error');
  tryError.id = 'kb-try-question-error';
  tryError.hidden = true;
  el.tryQuestion.parentElement.append(tryError);
  const enLinksEmpty = node('p', 'muted', T.noLinksEn);

  let sites = [];
  let site = ''; // the site whose entries are shown
  let data = null; // the list: {site, topics, entries}
  let current = null; // the open entry: {site, id, topic, title, version, history, hadEnglish, baseline}
  let rows = []; // the open entry's links, see addRow()
  let rowUid = 0;
  let seq = 0; // list loads: only the answer of the latest one counts
  let epoch = 0; // bumped when the session ends or the site changes
  let gen = 0; // bumped when an entry is opened, reloaded or closed
  let busy = null; // the action under way on the open entry
  let asking = null; // the inline question about unpublished changes: {box, back}
  let countTimer = 0;

  const siteName = (id) => siteNameIn(sites, id);

  function announce(region, text) {
    const mine = epoch;
    announceIn(region, text, () => mine === epoch);
  }

  /** Scroll so that `first` to `last` are in sight (a message and what it is about). */
  function reveal(first, last = first) {
    const a = first.getBoundingClientRect();
    const b = last.getBoundingClientRect();
    if (a.top < 0 || b.bottom > window.innerHeight) first.scrollIntoView({ block: 'start' });
  }

  /** Focus on the open entry's heading, with the status line above it in sight. */
  function focusEditor() {
    el.entryHeading.focus({ preventScroll: true });
    reveal(el.status.textContent ? el.status : el.entryHeading, el.entryHeading);
  }

  function showError(text) {
    el.status.textContent = '';
    el.error.textContent = text;
    el.error.focus({ preventScroll: true });
    reveal(el.error);
  }

  function clearMessages() {
    el.status.textContent = '';
    el.error.textContent = '';
    el.reloadLine.hidden = true;
  }

  // ------------------------------------------------------------ the list

  const topicTitle = (id) => {
    const t = data && data.topics.find((x) => x.id === id);
    return t ? t.title : id;
  };

  function matches(entry, q) {
    return fold(`${entry.title} ${entry.id} ${topicTitle(entry.topic)}`).includes(q);
  }

  function metaText(entry) {
    const text = entry.version ? changeText(entry.version, entry.changed_by, entry.changed_ms) : T.neverEdited;
    return entry.english ? `${text} ${T.withEnglish}` : text;
  }

  function countText(shown, total, q) {
    if (!total) return '';
    if (!q) return `${plural(total, 'voce', 'voci')}.`;
    if (!shown) return T.noMatch(q);
    return `${shown === 1 ? '1 voce' : `${shown} voci`} su ${total} ${shown === 1 ? 'corrisponde' : 'corrispondono'} alla ricerca.`;
  }

  async function loadList({ say = false } = {}) {
    if (!site) return;
    const mine = ++seq;
    const ep = epoch;
    if (say) {
      el.status.textContent = T.loadingList;
      el.error.textContent = '';
    }
    el.list.setAttribute('aria-busy', 'true');
    try {
      const answer = await api('GET', `${API}/kb?site=${encodeURIComponent(site)}`);
      if (mine !== seq || ep !== epoch) return;
      data = normaliseList(answer, site);
      if (say && el.status.textContent === T.loadingList) el.status.textContent = '';
      renderList({ say: true });
    } catch (e) {
      if (mine !== seq || ep !== epoch || e.status === 401) return;
      if (e.code === 'no_such_site' || e.status === 404) {
        siteGone();
      } else if (say || !data) {
        el.status.textContent = '';
        el.error.textContent = errorText(e);
      }
    } finally {
      if (mine === seq) el.list.removeAttribute('aria-busy');
    }
  }

  /** Rebuild the list as the filter says, keeping keyboard focus on the same entry's button. */
  function renderList({ say = false } = {}) {
    const focused = document.activeElement;
    let restore = null;
    if (asking && asking.box.contains(focused)) restore = asking.back.dataset.id;
    else if (focused && el.list.contains(focused) && focused.classList.contains('kb-edit')) restore = focused.dataset.id;
    const inList = Boolean(focused && el.list.contains(focused));
    closeAsk(false);

    const raw = el.filter.value.trim();
    const q = fold(raw);
    const entries = data ? data.entries : [];
    const shown = q ? entries.filter((e) => matches(e, q)) : entries;
    const groups = new Map((data ? data.topics : []).map((t) => [t.id, []]));
    for (const e of shown) {
      if (!groups.has(e.topic)) groups.set(e.topic, []);
      groups.get(e.topic).push(e);
    }
    const children = [];
    const dirty = isDirty();
    let i = 0;
    for (const [topic, items] of groups) {
      if (!items.length) continue;
      items.sort((a, b) => a.title.localeCompare(b.title, 'it'));
      const group = node('div', 'kb-topic');
      const heading = node('h4', '', topicTitle(topic) || topic);
      const ul = node('ul', 'conv-list kb-items');
      for (const e of items) ul.append(item(e, i++, dirty));
      group.append(heading, ul);
      children.push(group);
    }
    if (!children.length && data) children.push(node('p', 'muted', entries.length ? T.noMatch(raw) : T.empty));
    el.list.replaceChildren(...children);

    window.clearTimeout(countTimer);
    const text = countText(shown.length, entries.length, raw);
    if (say) announce(el.count, text);
    else countTimer = window.setTimeout(() => { el.count.textContent = text; }, COUNT_DELAY_MS);

    if (inList) {
      const button = restore && editButton(restore);
      (button || el.filter).focus();
    }
  }

  function item(entry, i, dirty) {
    const li = node('li', 'kb-item');
    li.dataset.id = entry.id;
    const title = node('p', 'kb-item-title');
    title.id = `kb-item-${i}`;
    title.append(entry.title, ' ', node('span', 'kb-item-id', `(${entry.id})`));
    const meta = node('p', 'kb-item-meta', metaText(entry));
    meta.id = `kb-item-${i}-meta`;
    const state = node('p', 'kb-item-state');
    state.id = `kb-item-${i}-state`;
    const button = node('button', 'btn btn-small btn-outline kb-edit', T.edit);
    button.type = 'button';
    button.dataset.id = entry.id;
    button.setAttribute('aria-describedby', `${title.id} ${meta.id} ${state.id}`);
    button.addEventListener('click', () => wantEntry(entry.id, button));
    li.append(title, meta, state, button);
    paintItem(li, dirty);
    return li;
  }

  function editButton(id) {
    for (const b of el.list.querySelectorAll('button.kb-edit')) if (b.dataset.id === id) return b;
    return null;
  }

  /** The open entry is marked in words, not only by its border. */
  function paintItem(li, dirty) {
    const open = Boolean(current && current.site === site && current.id === li.dataset.id);
    li.classList.toggle('current', open);
    const state = li.querySelector('.kb-item-state');
    const text = open ? (dirty ? T.openDirty : T.open) : '';
    if (state.textContent !== text) state.textContent = text;
  }

  function paintItems() {
    const dirty = isDirty();
    for (const li of el.list.querySelectorAll('li.kb-item')) paintItem(li, dirty);
  }

  // ------------------------------------------------------------ questions about unpublished changes

  /**
   * An inline question (never confirm()): `confirm` goes on and loses the
   * changes, the other button or Escape goes back to `back`.
   */
  function ask(after, question, confirmText, onConfirm, back) {
    closeAsk(false);
    const box = node('div', 'close-area kb-ask');
    box.setAttribute('role', 'group');
    const q = node('p', '', question);
    q.id = 'kb-ask-question';
    box.setAttribute('aria-labelledby', q.id);
    const yes = node('button', 'btn btn-danger', confirmText);
    yes.type = 'button';
    yes.setAttribute('aria-describedby', q.id);
    const no = node('button', 'btn btn-outline', T.keepEditing);
    no.type = 'button';
    box.append(q, yes, no);
    after.after(box);
    asking = { box, back };
    yes.addEventListener('click', () => {
      closeAsk(false);
      onConfirm();
    });
    no.addEventListener('click', () => closeAsk(true));
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        closeAsk(true);
      }
    });
    yes.focus();
  }

  function closeAsk(refocus) {
    if (!asking) return;
    const { box, back } = asking;
    asking = null;
    const inside = box.contains(document.activeElement);
    box.remove();
    if ((refocus || inside) && back.isConnected) back.focus();
  }

  function wantEntry(id, button) {
    if (current && current.site === site && current.id === id && !el.editor.hidden) {
      closeAsk(false);
      focusEditor();
      return;
    }
    if (isDirty()) {
      const to = data && data.entries.find((e) => e.id === id);
      ask(button, T.leaveEntry(currentName(), to ? to.title : id), T.leaveEntryConfirm,
        () => loadEntry(id), button);
      return;
    }
    loadEntry(id);
  }

  const currentName = () => (current ? (el.title.value.trim() || current.title || current.id) : '');

  // ------------------------------------------------------------ the entry

  /**
   * Fetch an entry and show it in the form, replacing any draft. `say` is
   * the status line's text (instead of «loading»); `quiet` changes no
   * message and no focus.
   */
  async function loadEntry(id, { say = '', focus = true, quiet = false } = {}) {
    const mine = ++gen;
    const ep = epoch;
    busy = null; // an action on the entry shown until now no longer counts
    for (const b of [el.check, el.publish, el.tryButton, el.revertConfirm]) b.removeAttribute('aria-disabled');
    if (!quiet) {
      el.error.textContent = '';
      el.reloadLine.hidden = true;
      el.status.textContent = say || T.loadingEntry;
    }
    try {
      const query = new URLSearchParams({ site, id });
      const answer = await api('GET', `${API}/kb/entry?${query}`);
      if (mine !== gen || ep !== epoch) return;
      fillEntry(answer, id);
      if (!quiet && !say) el.status.textContent = '';
      if (focus && !quiet) focusEditor();
    } catch (e) {
      if (mine !== gen || ep !== epoch || e.status === 401) return;
      if (e.code === 'no_such_site') siteGone();
      else if (e.code === 'no_such_entry' || e.status === 404) entryGone();
      else if (!quiet) showError(errorText(e));
    }
  }

  function fillEntry(answer, id) {
    const a = answer && typeof answer === 'object' ? answer : {};
    const entry = normaliseEntry(a.entry, id);
    const version = num(a.version);
    const history = normaliseHistory(a.history);
    current = {
      site,
      id: entry.id,
      topic: entry.topic,
      title: entry.title,
      version,
      history,
      hadEnglish: entry.english !== null,
      baseline: '',
    };
    closeAsk(false);
    showDiscardStep(false);
    showRevertStep(false);

    el.title.value = entry.title;
    el.questions.value = entry.questions.join('\n');
    el.keywords.value = entry.keywords.join('\n');
    el.answer.value = entry.answer;
    for (const r of rows) {
      r.fieldset.remove();
      r.enField.remove();
    }
    rows = [];
    const en = entry.english;
    entry.links.forEach((l, i) => addRow(l.title, l.url, en ? (en.link_titles[i] || '') : ''));
    labelRows();
    el.englishOn.checked = en !== null;
    el.enTitle.value = en ? en.title : '';
    el.enQuestions.value = en ? en.questions.join('\n') : '';
    el.enKeywords.value = en ? en.keywords.join('\n') : '';
    el.enAnswer.value = en ? en.answer : '';
    showEnglish();
    current.baseline = snapshot();

    el.entryHeading.textContent = `Voce: ${entry.title || entry.id}`;
    const latest = history.find((h) => h.version === version);
    const versionText = version
      ? changeText(version, latest ? latest.author : null, latest ? latest.created_ms : null, latest ? latest.origin : '')
      : T.filesOnly;
    el.entryMeta.textContent = `Identificativo: ${entry.id}. Argomento: ${topicTitle(entry.topic) || entry.topic}. ${versionText}`;
    renderHistory(history, version);
    el.problems.replaceChildren();
    el.problems.hidden = true;
    el.tryResult.replaceChildren();
    el.tryResult.hidden = true;
    el.none.hidden = true;
    el.editor.hidden = false;
    updateDirty();
  }

  /** No entry open: the form emptied and hidden. */
  function closeEditor() {
    gen += 1;
    busy = null;
    current = null;
    closeAsk(false);
    showDiscardStep(false);
    showRevertStep(false);
    for (const r of rows) {
      r.fieldset.remove();
      r.enField.remove();
    }
    rows = [];
    el.enLinks.replaceChildren();
    for (const f of [el.title, el.questions, el.keywords, el.answer, el.enTitle, el.enQuestions, el.enKeywords, el.enAnswer]) {
      f.value = '';
    }
    el.englishOn.checked = false;
    el.enFields.hidden = true;
    el.englishDropped.hidden = true;
    el.entryHeading.textContent = '';
    el.entryMeta.textContent = '';
    el.dirty.hidden = true;
    el.problems.replaceChildren();
    el.problems.hidden = true;
    el.tryResult.replaceChildren();
    el.tryResult.hidden = true;
    el.history.tBodies[0].replaceChildren();
    el.reloadLine.hidden = true;
    el.editor.hidden = true;
    el.none.hidden = false;
    paintItems();
  }

  function entryGone() {
    const inEditor = el.editor.contains(document.activeElement);
    closeEditor();
    showError(T.noSuchEntry);
    if (!inEditor && document.activeElement !== el.error) el.error.focus();
    loadList();
  }

  function siteGone() {
    closeEditor();
    data = null;
    el.list.replaceChildren();
    el.count.textContent = '';
    showError(T.noSuchSite);
  }

  // ------------------------------------------------------------ links

  /** One link: title and address in Italian, and the title of the English version. */
  function addRow(title = '', url = '', enTitle = '') {
    const uid = ++rowUid;
    const fieldset = node('fieldset', 'kb-link');
    const legend = node('legend');
    const t = textInput(`kb-link-title-${uid}`, title);
    const u = textInput(`kb-link-url-${uid}`, url);
    u.setAttribute('aria-describedby', 'kb-links-help');
    u.inputMode = 'url';
    u.spellcheck = false;
    u.setAttribute('autocapitalize', 'none');
    const removeWhich = node('span', 'sr-only');
    const remove = node('button', 'btn btn-small btn-danger-outline kb-link-remove', T.remove);
    remove.type = 'button';
    remove.append(removeWhich); // the visible word starts the name, for speech input
    fieldset.append(legend, field(t, T.linkTitle), field(u, T.linkUrl), remove);

    const en = textInput(`kb-en-link-${uid}`, enTitle);
    en.lang = 'en';
    const enField = field(en, '');
    const row = {
      uid, fieldset, legend, title: t, url: u, removeWhich, en, enField, enLabel: enField.firstChild,
    };
    remove.addEventListener('click', () => removeRow(row));
    rows.push(row);
    el.links.append(fieldset);
    enLinksEmpty.remove();
    el.enLinks.append(enField);
    return row;
  }

  function textInput(id, value) {
    const input = node('input');
    input.type = 'text';
    input.id = id;
    input.value = value;
    input.autocomplete = 'off';
    input.setAttribute('aria-required', 'true');
    return input;
  }

  function field(input, text) {
    const wrap = node('div', 'field');
    const label = node('label', '', text);
    label.htmlFor = input.id;
    wrap.append(label, input);
    return wrap;
  }

  /** Numbers, and the Italian address in each English title's label. */
  function labelRows() {
    rows.forEach((r, i) => {
      const n = i + 1;
      r.legend.textContent = T.link(n);
      r.removeWhich.textContent = T.removeWhich(n);
      const label = T.enLinkLabel(n, r.url.value.trim());
      if (r.enLabel.textContent !== label) r.enLabel.textContent = label;
    });
    if (!rows.length && !enLinksEmpty.isConnected) el.enLinks.replaceChildren(enLinksEmpty);
  }

  function removeRow(row) {
    const i = rows.indexOf(row);
    if (i < 0) return;
    rows.splice(i, 1);
    row.fieldset.remove();
    row.enField.remove();
    labelRows();
    updateDirty();
    const next = rows[i] || rows[i - 1];
    (next ? next.title : el.addLink).focus();
    announce(el.status, T.linkRemoved(i + 1));
  }

  // ------------------------------------------------------------ the draft

  function showEnglish() {
    const on = el.englishOn.checked;
    el.enFields.hidden = !on;
    el.englishDropped.hidden = on || !(current && current.hadEnglish);
  }

  /** The form as the server wants it (EntryForm). */
  function readForm() {
    if (!current) return null;
    return {
      id: current.id,
      topic: current.topic,
      title: el.title.value.trim(),
      questions: lines(el.questions.value),
      keywords: lines(el.keywords.value),
      links: rows.map((r) => ({ title: r.title.value.trim(), url: r.url.value.trim() })),
      answer: longText(el.answer.value),
      english: el.englishOn.checked ? {
        title: el.enTitle.value.trim(),
        questions: lines(el.enQuestions.value),
        keywords: lines(el.enKeywords.value),
        link_titles: rows.map((r) => r.en.value.trim()),
        answer: longText(el.enAnswer.value),
      } : null,
    };
  }

  const snapshot = () => JSON.stringify(readForm());
  const isDirty = () => Boolean(current && current.baseline && snapshot() !== current.baseline);

  function updateDirty() {
    el.dirty.hidden = !isDirty();
    paintItems();
  }

  // ------------------------------------------------------------ actions

  /** One action at a time on the open entry; null (and a word) if one is under way. */
  function begin(kind, button) {
    if (!current) return null;
    if (busy) {
      announce(el.status, T.busy);
      return null;
    }
    busy = { kind, button, gen };
    // aria-disabled, not disabled: a disabled button would lose keyboard focus.
    button.setAttribute('aria-disabled', 'true');
    return busy;
  }

  const still = (token) => busy === token && token.gen === gen;

  function end(token) {
    if (busy === token) busy = null;
    if (!busy || busy.button !== token.button) token.button.removeAttribute('aria-disabled');
  }

  /** A failed action: what happened, with focus on it. */
  function actionFailed(e) {
    if (e.code === 'no_such_site') siteGone();
    else if (e.code === 'no_such_entry' || e.status === 404) entryGone();
    else if (e.code === 'changed_meanwhile') changedMeanwhile();
    else if (e.code === 'nothing_to_revert') showError(T.nothingToRevert);
    else showError(errorText(e));
  }

  function changedMeanwhile() {
    el.status.textContent = '';
    el.error.textContent = T.changedMeanwhile;
    el.reloadLine.hidden = false;
    el.reload.focus({ preventScroll: true });
    reveal(el.error, el.reload);
  }

  /** The checker's problems, in English as it writes them, each with its part. */
  function problemList(problems, leadId) {
    const ul = node('ul', 'kb-problem-list');
    ul.setAttribute('aria-labelledby', leadId);
    for (const p of problems) {
      const li = node('li');
      const part = p && PARTS[p.part];
      if (part) li.append(node('span', 'kb-part', `${part}: `));
      li.append(inLanguage(String((p && p.message) || ''), 'en'));
      ul.append(li);
    }
    return ul;
  }

  function showProblems(problems, { refused = false } = {}) {
    const children = [];
    if (refused) children.push(node('p', 'kb-result-lead', T.notPublished));
    if (problems.length) {
      const lead = node('p', 'kb-result-lead', T.toFix);
      lead.id = 'kb-problems-lead';
      children.push(lead, problemList(problems, lead.id));
    } else {
      children.push(node('p', 'kb-ok', refused ? T.refusedNoProblems : T.noProblems));
    }
    el.problems.dataset.result = problems.length || refused ? 'problems' : 'ok';
    el.problems.replaceChildren(...children);
    el.problems.hidden = false;
    el.problems.focus({ preventScroll: true });
    reveal(el.problems);
  }

  async function check({ refused = false } = {}) {
    const token = begin('check', el.check);
    if (!token) return;
    const c = current;
    clearMessages();
    el.status.textContent = T.checking;
    try {
      const answer = await api('POST', `${API}/kb/check`, { site: c.site, entry: readForm() });
      if (!still(token)) return;
      el.status.textContent = '';
      showProblems(list(answer && answer.problems), { refused });
    } catch (e) {
      if (!still(token) || e.status === 401) return;
      actionFailed(e);
    } finally {
      end(token);
    }
  }

  /** The language the answer is written in: English only where there is an English version. */
  function answerLanguage(r, language, entry) {
    if (language !== 'en') return 'it';
    if (r.from_draft === true) return entry.english ? 'en' : 'it';
    if (r.entry_id === current.id) return current.hadEnglish ? 'en' : 'it';
    const other = data && data.entries.find((e) => e.id === r.entry_id);
    return other && other.english ? 'en' : 'it';
  }

  function showTryError(text) {
    tryError.textContent = text;
    tryError.hidden = !text;
    if (text) {
      el.tryQuestion.setAttribute('aria-invalid', 'true');
      el.tryQuestion.setAttribute('aria-describedby', tryError.id);
    } else {
      el.tryQuestion.removeAttribute('aria-invalid');
      el.tryQuestion.removeAttribute('aria-describedby');
    }
  }

  async function tryQuestion() {
    if (!current) return;
    const question = el.tryQuestion.value.trim();
    if (!question) {
      showTryError(T.noQuestion);
      el.tryQuestion.focus();
      return;
    }
    showTryError('');
    const token = begin('try', el.tryButton);
    if (!token) return;
    const c = current;
    const entry = readForm();
    const language = el.tryLanguage.value === 'en' ? 'en' : 'it';
    clearMessages();
    el.status.textContent = T.trying;
    try {
      const answer = await api('POST', `${API}/kb/try`, {
        site: c.site, entry, question, language,
      });
      if (!still(token)) return;
      el.status.textContent = '';
      showTry(answer, { question, language, entry });
    } catch (e) {
      if (!still(token) || e.status === 401) return;
      if (e.code === 'invalid_question') {
        el.status.textContent = '';
        showTryError(question ? T.invalidQuestion : T.noQuestion);
        el.tryQuestion.focus();
        return;
      }
      actionFailed(e);
    } finally {
      end(token);
    }
  }

  function showTry(answer, { question, language, entry }) {
    const a = answer && typeof answer === 'object' ? answer : {};
    const r = a.answer && typeof a.answer === 'object' ? a.answer : null;
    const problems = list(a.problems);
    const asked = node('p', 'kb-result-lead');
    asked.append(T.asked, '«', inLanguage(question, language), '»', language === 'en' ? T.inEnglish : T.inItalian);
    const children = [asked];
    if (!r) {
      children.push(node('p', '', problems.length ? T.cannotTry : T.noAnswer));
    } else {
      const lang = answerLanguage(r, language, entry);
      const id = String(r.entry_id || '');
      const title = String(r.title || id);
      const source = node('p', 'kb-try-source');
      if (r.from_draft === true) {
        source.textContent = T.fromDraft;
      } else if (id === current.id) {
        source.textContent = T.fromPublished;
      } else {
        // «Risponde un'altra voce: TITOLO (id).», the title in its language.
        const [before, after] = T.fromOther('\u0000', id).split('\u0000');
        source.append(before, inLanguage(title, lang), after);
      }
      const titleLine = node('p', 'kb-try-title');
      titleLine.append(T.answerTitle, inLanguage(title, lang));
      const textLead = node('p', 'kb-try-label', T.answerText);
      const text = node('div', 'kb-try-text', String(r.text || ''));
      if (lang !== 'it') text.lang = lang;
      children.push(source, titleLine, textLead, text);
    }
    if (problems.length) {
      const lead = node('p', 'kb-result-lead', T.toFix);
      lead.id = 'kb-try-problems-lead';
      children.push(lead, problemList(problems, lead.id));
    }
    el.tryResult.replaceChildren(...children);
    el.tryResult.hidden = false;
    el.tryResult.focus({ preventScroll: true });
    reveal(el.tryResult);
  }

  async function publish() {
    if (!current) return;
    if (!isDirty()) {
      clearMessages();
      announce(el.status, T.nothingToPublish);
      return;
    }
    const token = begin('publish', el.publish);
    if (!token) return;
    const c = current;
    clearMessages();
    el.status.textContent = T.publishing;
    try {
      const answer = await api('POST', `${API}/kb/publish`, {
        site: c.site, entry: readForm(), base_version: c.version,
      });
      if (!still(token)) {
        loadList(); // published all the same: the list says so
        return;
      }
      const version = num(answer && answer.version);
      end(token);
      loadEntry(c.id, { say: T.published(version) });
      loadList();
    } catch (e) {
      if (!still(token) || e.status === 401) return;
      if (e.code === 'invalid_entry' || e.status === 422) {
        end(token);
        check({ refused: true });
        return;
      }
      actionFailed(e);
    } finally {
      end(token);
    }
  }

  async function revert() {
    if (!current || current.version < 2) return;
    const token = begin('revert', el.revertConfirm);
    if (!token) return;
    const c = current;
    const previous = c.version - 1;
    clearMessages();
    el.status.textContent = T.reverting;
    try {
      const answer = await api('POST', `${API}/kb/revert`, { site: c.site, id: c.id, base_version: c.version });
      if (!still(token)) {
        loadList();
        return;
      }
      const version = num(answer && answer.version);
      end(token);
      loadEntry(c.id, { say: T.reverted(previous, version) });
      loadList();
    } catch (e) {
      if (!still(token) || e.status === 401) return;
      showRevertStep(false);
      actionFailed(e);
    } finally {
      end(token);
    }
  }

  // ------------------------------------------------------------ two-step questions

  function showDiscardStep(on) {
    el.check.hidden = on;
    el.publish.hidden = on;
    el.discard.hidden = on;
    el.discardQuestion.hidden = !on;
    el.discardConfirm.hidden = !on;
    el.discardCancel.hidden = !on;
  }

  function showRevertStep(on) {
    el.revert.hidden = on;
    el.revertQuestion.hidden = !on;
    el.revertConfirm.hidden = !on;
    el.revertCancel.hidden = !on;
    if (!on) el.revertQuestion.textContent = '';
  }

  function cancelDiscard() {
    showDiscardStep(false);
    el.discard.focus();
  }

  function cancelRevert() {
    if (busy && busy.kind === 'revert') return;
    showRevertStep(false);
    el.revert.focus();
  }

  // ------------------------------------------------------------ history

  function renderHistory(history, version) {
    const body = el.history.tBodies[0];
    body.replaceChildren(...history.map((h) => {
      const tr = node('tr');
      const v = node('th', 'num', `${h.version}${h.version === version ? T.current : ''}`);
      v.scope = 'row';
      v.dataset.label = 'Versione'; // shown before the number on narrow screens
      const cell = (label, content) => {
        const td = node('td');
        td.dataset.label = label; // shown before the value on narrow screens
        td.append(content);
        return td;
      };
      const time = moment(h.created_ms);
      let when;
      if (time) {
        when = node('time', '', dateTimeText(h.created_ms));
        when.dateTime = time.iso;
      } else {
        when = spoken('—', T.noDate);
      }
      tr.append(
        v,
        cell('Origine', ORIGINS[h.origin] || h.origin),
        cell('Autore', h.author ? h.author : spoken('—', T.noAuthor)),
        cell('Data', when),
        cell('Titolo', h.title),
      );
      return tr;
    }));
    el.history.hidden = !history.length;
    el.historyEmpty.hidden = history.length > 0;
    el.revertArea.hidden = version < 2;
    showRevertStep(false);
  }

  // ------------------------------------------------------------ sites

  function switchSite(id) {
    epoch += 1;
    seq += 1;
    site = id;
    el.site.value = id;
    data = null;
    closeEditor();
    clearMessages();
    el.list.replaceChildren();
    el.count.textContent = '';
    loadList({ say: true });
  }

  // ------------------------------------------------------------ events

  el.site.addEventListener('change', () => {
    const wanted = el.site.value;
    if (wanted === site) return;
    if (isDirty()) {
      el.site.value = site; // not yet: the question first
      ask(el.siteField, T.leaveSite(currentName(), siteName(wanted)), T.leaveSiteConfirm, () => {
        switchSite(wanted);
        el.site.focus();
      }, el.site);
      return;
    }
    switchSite(wanted);
  });

  el.filter.addEventListener('input', () => renderList());

  el.form.addEventListener('submit', (e) => e.preventDefault());
  el.form.addEventListener('input', (e) => {
    if (rows.some((r) => r.url === e.target)) labelRows();
    updateDirty();
  });
  el.englishOn.addEventListener('change', () => {
    showEnglish();
    updateDirty();
  });
  el.addLink.addEventListener('click', () => {
    if (!current) return;
    const row = addRow();
    labelRows();
    updateDirty();
    row.title.focus();
  });

  el.check.addEventListener('click', () => check());
  el.publish.addEventListener('click', publish);
  el.reload.addEventListener('click', () => {
    if (!current) return;
    loadEntry(current.id, { say: T.reloaded });
    loadList();
  });

  el.discard.addEventListener('click', () => {
    if (!current) return;
    if (!isDirty()) {
      clearMessages();
      announce(el.status, T.nothingToDiscard);
      return;
    }
    showDiscardStep(true);
    el.discardConfirm.focus();
  });
  el.discardCancel.addEventListener('click', cancelDiscard);
  el.discardConfirm.addEventListener('click', () => {
    if (!current) return;
    showDiscardStep(false);
    el.discard.focus(); // until the reloaded entry takes it
    loadEntry(current.id, { say: T.discarded });
  });
  el.actions.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !el.discardCancel.hidden) {
      e.preventDefault();
      cancelDiscard();
    }
  });

  el.tryForm.addEventListener('submit', (e) => {
    e.preventDefault();
    tryQuestion();
  });
  el.tryQuestion.addEventListener('input', () => {
    if (el.tryQuestion.value.trim()) showTryError('');
  });
  el.tryLanguage.addEventListener('change', () => {
    // The question is read out in the language it is written in.
    if (el.tryLanguage.value === 'en') el.tryQuestion.lang = 'en';
    else el.tryQuestion.removeAttribute('lang');
  });

  el.revert.addEventListener('click', () => {
    if (!current || current.version < 2) return;
    el.revertQuestion.textContent = T.revertQuestion(current.version - 1) + (isDirty() ? T.unsavedLost : '');
    showRevertStep(true);
    el.revertConfirm.focus();
  });
  el.revertConfirm.addEventListener('click', revert);
  el.revertCancel.addEventListener('click', cancelRevert);
  el.revertArea.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !el.revertCancel.hidden) {
      e.preventDefault();
      cancelRevert();
    }
  });

  return {
    /** A new session; `true` if the operator may edit the knowledge base of any site. */
    start(session) {
      sites = Array.isArray(session && session.kb_sites)
        ? session.kb_sites.filter((s) => s && typeof s.id === 'string')
        : [];
      el.site.replaceChildren(...sites.map((s) => new Option(s.name || s.id, s.id)));
      el.siteField.hidden = sites.length < 2;
      el.siteName.textContent = sites.length === 1 ? `Sito: ${sites[0].name || sites[0].id}` : '';
      el.siteName.hidden = sites.length !== 1;
      site = sites.length ? sites[0].id : '';
      return sites.length > 0;
    },
    /** The view is shown: focus on its heading, the list loaded (an open draft is kept). */
    shown() {
      el.heading.focus();
      if (site) loadList({ say: !data });
    },
    stop() {
      seq += 1;
      epoch += 1;
      window.clearTimeout(countTimer);
      closeEditor();
      sites = [];
      site = '';
      data = null;
      el.site.replaceChildren();
      el.siteField.hidden = true;
      el.siteName.textContent = '';
      el.siteName.hidden = true;
      el.filter.value = '';
      el.list.replaceChildren();
      el.list.removeAttribute('aria-busy');
      el.count.textContent = '';
      el.tryQuestion.value = '';
      el.tryLanguage.value = 'it';
      el.tryQuestion.removeAttribute('lang');
      showTryError('');
      clearMessages();
    },
  };
}
