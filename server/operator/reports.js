// «Rapporti», for operators with the webmaster role: what visitors asked the
// assistant and what it could not answer, hand-offs to operators, bookings,
// cookie choices and satisfaction over a period. The server sends only
// aggregated numbers and masked texts. Every text is written with
// textContent, never as HTML; a chart is SVG built node by node and is only
// a visual aid: the table next to it holds the same numbers for everyone.

import { MONTHS, announce as announceIn, siteName as siteNameIn } from './views.js';

const API = '/operator/api';
const SVG_NS = 'http://www.w3.org/2000/svg';
const MAX_DAYS = 366; // the server refuses a longer period
const DEFAULT_DAYS = 30; // the server's default too

const $ = (id) => document.getElementById(id);

const T = {
  loading: 'Caricamento dei rapporti…',
  noSuchSite: 'Non puoi più vedere i rapporti di questo sito: ricarica la console.',
  invalidPeriod: 'Il periodo non è valido: la data finale non può precedere quella iniziale e il periodo non può superare un anno.',
  missingFrom: 'Indica il primo giorno del periodo nel campo «Dal».',
  missingTo: "Indica l'ultimo giorno del periodo nel campo «Al».",
  noData: 'Nessun dato nel periodo.',
  noOffice: 'Nessun ufficio',
  noTopic: 'Nessuno',
  noRating: 'nessun giudizio',
  noWait: 'nessuna presa in carico',
  csv: 'Scarica CSV',
  chartNote: 'Gli stessi numeri sono nella tabella che segue il grafico.',
};

const REASONS = {
  off_topic: 'Non risponde alla domanda',
  unclear: 'Non è chiara',
  wrong: 'Sbagliata o non aggiornata',
  other: 'Altro',
};

// Known consent actions first, in this order; any other is shown as sent.
const ACTIONS = {
  accept_all: 'Accetta tutti',
  reject_all: 'Rifiuta tutti',
  save: 'Scelte salvate',
  custom: 'Scelte personalizzate',
  close: 'Banner chiuso senza scegliere',
  withdraw: 'Revoca',
};

const ABOUT = {
  answer_reason: "Risposta dell'assistente",
  live_chat: 'Conversazione con un operatore',
  booking: 'Appuntamento allo sportello',
};

const integer = new Intl.NumberFormat('it-IT');
const percentage = new Intl.NumberFormat('it-IT', { style: 'percent', maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('it-IT', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

// ---------------------------------------------------------------- helpers

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

function svgNode(tag, attrs = {}, text) {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) n.setAttribute(name, String(value));
  if (text !== undefined) n.textContent = text;
  return n;
}

const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);
const list = (v) => (Array.isArray(v) ? v : []);
const plural = (n, one, many) => `${integer.format(n)} ${n === 1 ? one : many}`;

/** Days since the epoch of a YYYY-MM-DD date, or NaN if it is not one. */
function dayNumber(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ''));
  if (!m) return NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  // Date.UTC rolls 31 February over to March: such a date is not one.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return NaN;
  return t / 86400000;
}

const fromDayNumber = (n) => new Date(n * 86400000).toISOString().slice(0, 10);

/** Today in Rome, YYYY-MM-DD: the server's periods are Rome days. */
function today() {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit',
  }).format(new Date());
}

/** Day, month and year of a YYYY-MM-DD date, or null. */
function dateParts(iso) {
  const n = dayNumber(iso);
  if (Number.isNaN(n)) return null;
  const d = new Date(n * 86400000);
  return { day: d.getUTCDate(), month: MONTHS[d.getUTCMonth()], year: d.getUTCFullYear() };
}

// Italian writes the first of the month as an ordinal: «1º dicembre».
const dayText = (day) => (day === 1 ? '1º' : String(day));

/** «7 novembre 2026» from YYYY-MM-DD. */
function longDate(iso) {
  const p = dateParts(iso);
  return p ? `${dayText(p.day)} ${p.month} ${p.year}` : String(iso || '');
}

/** «dal», «al», «il» before a day: elided before 8 and 11 («dall'8», «all'11», «l'8»). */
function before(word, iso) {
  const p = dateParts(iso);
  if (!p || (p.day !== 8 && p.day !== 11)) return `${word} `;
  return word === 'il' ? "l'" : `${word}l'`;
}

/**
 * «dal 6 al 9 agosto 2026», «dal 28 ottobre al 3 novembre 2026», «l'8
 * dicembre 2026»: month and year said once when both days share them.
 */
function rangeText(from, to) {
  const a = dateParts(from);
  const b = dateParts(to);
  if (!a || !b) return `dal ${from} al ${to}`;
  if (from === to) return `${before('il', from)}${longDate(from)}`;
  let start = longDate(from);
  if (a.year === b.year) start = a.month === b.month ? dayText(a.day) : `${dayText(a.day)} ${a.month}`;
  return `${before('dal', from)}${start} ${before('al', to)}${longDate(to)}`;
}

/** A wait in seconds, short for the eye («1 min 5 s») and in words for screen readers. */
function duration(seconds) {
  const s = Math.max(0, Math.round(num(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const words = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  if (h) {
    return {
      short: `${h} h${m ? ` ${m} min` : ''}`,
      long: `${words(h, 'ora', 'ore')}${m ? ` e ${words(m, 'minuto', 'minuti')}` : ''}`,
    };
  }
  if (m) {
    return {
      short: `${m} min${r ? ` ${r} s` : ''}`,
      long: `${words(m, 'minuto', 'minuti')}${r ? ` e ${words(r, 'secondo', 'secondi')}` : ''}`,
    };
  }
  return { short: `${r} s`, long: words(r, 'secondo', 'secondi') };
}

/** Visible short text, read out as the long one. */
function spoken(short, long) {
  const wrap = node('span');
  const eye = node('span', '', short);
  eye.setAttribute('aria-hidden', 'true');
  wrap.append(eye, node('span', 'sr-only', long));
  return wrap;
}

/** A dash where there is no value: a screen reader says why instead. */
const missing = (why) => spoken('—', why);

function waitCell(seconds, why) {
  if (seconds === null || seconds === undefined) return missing(why);
  const d = duration(seconds);
  return spoken(d.short, d.long);
}

const reasonText = (r) => REASONS[r] || String(r || '');
const actionText = (a) => ACTIONS[a] || String(a || '');
const aboutText = (a) => ABOUT[a] || String(a || '');

function actionOrder(a, b) {
  const known = Object.keys(ACTIONS);
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? known.length : ia) - (ib < 0 ? known.length : ib);
  return a.localeCompare(b, 'it');
}

// ---------------------------------------------------------------- tables

/**
 * A data table: caption, column headers, one row per item. The first column
 * names the row (a row header) unless `rowHeaders` is false. A cell value is
 * a number (formatted), a string, a Node, or null (a dash, with `column.none`
 * read out by screen readers).
 */
function dataTable(caption, columns, rows, { rowHeaders = true } = {}) {
  const t = node('table', 'reports-table');
  t.append(node('caption', '', caption));
  const headRow = node('tr');
  for (const c of columns) {
    const th = node('th', c.num ? 'num' : '', c.title);
    th.scope = 'col';
    headRow.append(th);
  }
  const head = node('thead');
  head.append(headRow);
  const body = node('tbody');
  for (const values of rows) {
    const tr = node('tr');
    values.forEach((value, i) => tr.append(cell(value, columns[i], rowHeaders && i === 0)));
    body.append(tr);
  }
  t.append(head, body);
  return t;
}

function cell(value, column, isRowHeader) {
  const c = node(isRowHeader ? 'th' : 'td', [column.num ? 'num' : '', column.className || ''].join(' ').trim());
  if (isRowHeader) c.scope = 'row';
  else c.dataset.label = column.title; // shown before the value on narrow screens
  if (value instanceof Node) c.append(value);
  else if (value === null || value === undefined) c.append(missing(column.none || T.noData));
  else if (typeof value === 'number') c.textContent = integer.format(value);
  else c.textContent = String(value);
  return c;
}

// ---------------------------------------------------------------- charts

const shorten = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Horizontal bars: per row, the label on the left and the value on the right
 * of one line, the bar under them. Positions are in em and percentages, not
 * in a scaled viewBox, so that the text keeps the page's size when zoomed
 * and on narrow screens.
 */
function barChart({ id, title, summary, bars }) {
  const ROW = 2.4; // em per bar: label line, bar, gap
  const max = Math.max(1, ...bars.map((b) => b.value));
  const chart = svgNode('svg', {
    class: 'reports-chart',
    role: 'img',
    'aria-labelledby': `${id}-title`,
    'aria-describedby': `${id}-desc`,
    width: '100%',
    height: `${(bars.length * ROW + 0.25).toFixed(2)}em`,
  });
  chart.append(
    svgNode('title', { id: `${id}-title` }, title),
    svgNode('desc', { id: `${id}-desc` }, `${summary} ${T.chartNote}`),
  );
  bars.forEach((b, i) => {
    const top = i * ROW;
    const share = (b.value / max) * 100;
    chart.append(
      svgNode('text', { class: 'reports-chart-label', x: 0, y: `${(top + 1).toFixed(2)}em` }, shorten(b.label, 36)),
      svgNode('text', {
        class: 'reports-chart-value', x: '100%', y: `${(top + 1).toFixed(2)}em`, 'text-anchor': 'end',
      }, integer.format(b.value)),
      svgNode('rect', {
        class: 'reports-chart-track', x: 0, y: `${(top + 1.3).toFixed(2)}em`, width: '100%', height: '0.8em',
      }),
      // A value above zero always shows a sliver, so it never looks like none.
      svgNode('rect', {
        class: 'reports-chart-bar',
        x: 0,
        y: `${(top + 1.3).toFixed(2)}em`,
        width: `${b.value > 0 ? Math.max(share, 0.5).toFixed(2) : 0}%`,
        height: '0.8em',
      }),
    );
  });
  const figure = node('div', 'reports-chart-box');
  // The visible title repeats the chart's name: hidden from screen readers,
  // which read it once, as the image's name.
  const caption = node('p', 'reports-chart-title', title);
  caption.setAttribute('aria-hidden', 'true');
  figure.append(caption, chart);
  return figure;
}

/** «SPID 12, CIE 8 e TARI 5»: the largest bars, for the chart's description. */
function largest(bars, n = 3) {
  const top = [...bars].filter((b) => b.value > 0).sort((a, b) => b.value - a.value).slice(0, n);
  const parts = top.map((b) => `${b.label} ${integer.format(b.value)}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} e ${parts[parts.length - 1]}` : (parts[0] || '');
}

// ---------------------------------------------------------------- consent periods

/**
 * The periods the cookie choices are grouped by: days up to a month, then
 * weeks (from Monday), then months, so that a chart never has hundreds of
 * bars. Every period of the range is listed, also with no choices.
 */
function consentPeriods(from, to) {
  const first = dayNumber(from);
  const last = dayNumber(to);
  const span = last - first + 1;
  const unit = span <= 31 ? 'day' : span <= 190 ? 'week' : 'month';
  const keyOf = (day) => {
    if (unit === 'day') return fromDayNumber(day);
    if (unit === 'month') return fromDayNumber(day).slice(0, 7);
    const weekday = (new Date(day * 86400000).getUTCDay() + 6) % 7; // Monday = 0
    return fromDayNumber(day - weekday);
  };
  const periods = new Map();
  for (let day = first; day <= last; day += 1) {
    const key = keyOf(day);
    const p = periods.get(key) || { key, from: fromDayNumber(day), to: '', counts: {} };
    p.to = fromDayNumber(day);
    periods.set(key, p);
  }
  for (const p of periods.values()) {
    if (unit === 'day') {
      p.label = longDate(p.from);
      p.when = `${before('il', p.from)}${p.label}`;
    } else if (unit === 'week') {
      p.label = p.from === p.to ? longDate(p.from) : rangeText(p.from, p.to);
      p.when = p.from === p.to ? rangeText(p.from, p.to) : `nella settimana ${rangeText(p.from, p.to)}`;
    } else {
      const { month, year } = dateParts(p.from);
      p.label = `${month} ${year}`;
      p.when = `nel mese di ${p.label}`;
    }
  }
  return { unit, periods, keyOf: (iso) => keyOf(dayNumber(iso)) };
}

const UNIT = {
  day: { column: 'Giorno', per: 'per giorno' },
  week: { column: 'Settimana', per: 'per settimana' },
  month: { column: 'Mese', per: 'per mese' },
};

// ---------------------------------------------------------------- the view

/**
 * The view. `api(method, path, body)` and `errorText(error)` are the
 * console's; `start(session)` says whether the operator keeps any site's
 * pages (the view's button is shown only then).
 */
export function createReports({ api, errorText }) {
  const el = {
    heading: $('reports-heading'),
    form: $('reports-form'),
    siteField: $('reports-site-field'),
    site: $('reports-site'),
    siteName: $('reports-site-name'),
    from: $('reports-from'),
    to: $('reports-to'),
    help: $('reports-period-help'),
    status: $('reports-status'),
    error: $('reports-error'),
    content: $('reports-content'),
  };
  let sites = [];
  let seq = 0; // only the answer of the latest request counts

  const siteId = () => (sites.length > 1 ? el.site.value : (sites[0] ? sites[0].id : ''));
  const siteName = (id) => siteNameIn(sites, id);

  function announce(region, text) {
    const mine = seq;
    announceIn(region, text, () => mine === seq);
  }

  function defaultPeriod() {
    const to = today();
    el.to.value = to;
    el.from.value = fromDayNumber(dayNumber(to) - (DEFAULT_DAYS - 1));
  }

  // An invalid date is described by the error first, then by the usual help.
  function markInvalid(...inputs) {
    for (const input of inputs) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${el.error.id} ${el.help.id}`);
    }
  }

  function clearInvalid(...inputs) {
    for (const input of inputs.length ? inputs : [el.from, el.to]) {
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-describedby', el.help.id);
    }
  }

  /** The period as typed, or null after saying what is wrong with it (as the server would). */
  function period() {
    clearInvalid();
    const from = el.from.value;
    const to = el.to.value;
    const fail = (text, focus, ...invalid) => {
      el.status.textContent = '';
      el.error.textContent = text;
      markInvalid(...invalid);
      focus.focus();
      return null;
    };
    if (Number.isNaN(dayNumber(from))) return fail(T.missingFrom, el.from, el.from);
    if (Number.isNaN(dayNumber(to))) return fail(T.missingTo, el.to, el.to);
    const days = dayNumber(to) - dayNumber(from) + 1;
    if (days < 1 || days > MAX_DAYS) return fail(T.invalidPeriod, el.from, el.from, el.to);
    return { from, to };
  }

  async function load() {
    const site = siteId();
    if (!site) return;
    const wanted = period();
    if (!wanted) return;
    const mine = ++seq;
    el.error.textContent = '';
    el.status.textContent = T.loading;
    el.content.setAttribute('aria-busy', 'true');
    try {
      const query = new URLSearchParams({ site, from: wanted.from, to: wanted.to });
      const answer = await api('GET', `${API}/reports?${query}`);
      if (mine !== seq) return;
      const report = normalise(answer, site, wanted);
      el.content.replaceChildren(...render(report));
      announce(el.status, summary(report));
    } catch (e) {
      if (mine !== seq || e.status === 401) return;
      el.status.textContent = '';
      if (e.code === 'invalid_period') {
        el.error.textContent = T.invalidPeriod;
        markInvalid(el.from, el.to);
      } else if (e.code === 'no_such_site' || e.status === 404) {
        el.error.textContent = T.noSuchSite;
        el.content.replaceChildren(); // not this operator's to see any more
      } else {
        el.error.textContent = errorText(e);
      }
    } finally {
      if (mine === seq) el.content.removeAttribute('aria-busy');
    }
  }

  function summary(report) {
    const text = `Rapporti ${rangeText(report.from, report.to)}.`;
    return sites.length > 1 ? `${siteName(report.site)}: ${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;
  }

  // ---------------------------------------------------------------- rendering

  function render(report) {
    const days = dayNumber(report.to) - dayNumber(report.from) + 1;
    const where = sites.length > 1 ? `Sito: ${siteName(report.site)}. ` : '';
    const head = node('p', 'reports-period',
      `${where}Periodo: ${rangeText(report.from, report.to)} (${plural(days, 'giorno', 'giorni')}).`);
    const csv = csvLinks(report);
    const titles = topicTitles(report);
    return [
      head,
      topicsSection(report, csv),
      reasonsSection(report, csv, titles),
      unsureSection(report, csv, titles),
      liveChatSection(report, csv),
      bookingsSection(report, csv),
      consentsSection(report, csv),
      satisfactionSection(report, csv),
    ];
  }

  /** The CSV of one table, for the period and site the report shows (not what the form says now). */
  function csvLinks(report) {
    return (table, what) => {
      const query = new URLSearchParams({ site: report.site, from: report.from, to: report.to, table });
      const a = node('a', 'btn btn-small btn-outline', T.csv);
      a.href = `${API}/reports.csv?${query}`;
      a.setAttribute('download', '');
      // The visible words start the link's name, so speech input finds it.
      a.append(node('span', 'sr-only', ` (${what})`));
      const p = node('p', 'reports-csv');
      p.append(a);
      return p;
    };
  }

  function topicTitles(report) {
    const titles = new Map(report.topics.map((t) => [t.topic, t.title || t.topic]));
    return (topic) => (topic ? titles.get(topic) || topic : T.noTopic);
  }

  function section(key, title, children) {
    const s = node('section', 'reports-section');
    const h = node('h3', '', title);
    h.id = `reports-${key}-heading`;
    s.setAttribute('aria-labelledby', h.id);
    s.append(h, ...children);
    return s;
  }

  const empty = (text = T.noData) => node('p', 'reports-empty', text);

  function topicsSection(report, csv) {
    const title = "Domande all'assistente per argomento";
    const topics = [...report.topics].sort((a, b) => b.answers - a.answers
      || (a.title || a.topic).localeCompare(b.title || b.topic, 'it'));
    if (!topics.length) return section('topics', title, [empty()]);
    const bars = topics.map((t) => ({ label: t.title || t.topic, value: t.answers }));
    const total = topics.reduce((n, t) => n + t.answers, 0);
    const rated = (t) => t.helped + t.not_helped;
    return section('topics', title, [
      node('p', 'muted', 'La percentuale di risposte utili è calcolata sui soli giudizi dati dai visitatori («utile» o «non utile»).'),
      barChart({
        id: 'reports-topics-chart',
        title: "Risposte dell'assistente per argomento",
        summary: `${plural(total, 'risposta', 'risposte')} in ${plural(topics.length, 'argomento', 'argomenti')}. Più richiesti: ${largest(bars) || 'nessuno'}.`,
        bars,
      }),
      dataTable("Risposte dell'assistente per argomento, dal più richiesto", [
        { title: 'Argomento' },
        { title: 'Risposte', num: true },
        { title: 'Utili', num: true },
        { title: 'Non utili', num: true },
        { title: '% utili', num: true, none: T.noRating },
      ], topics.map((t) => [
        t.title || t.topic, t.answers, t.helped, t.not_helped,
        rated(t) ? percentage.format(t.helped / rated(t)) : null,
      ])),
      csv('topics', 'domande per argomento'),
    ]);
  }

  function reasonsSection(report, csv, titleOf) {
    const title = 'Perché le risposte non sono state utili';
    const reasons = [...report.reasons].sort((a, b) => b.count - a.count
      || titleOf(a.topic).localeCompare(titleOf(b.topic), 'it'));
    if (!reasons.length) return section('reasons', title, [empty()]);
    return section('reasons', title, [
      dataTable('Motivi indicati dai visitatori, per argomento', [
        { title: 'Argomento' },
        { title: 'Motivo' },
        { title: 'Segnalazioni', num: true },
      ], reasons.map((r) => [titleOf(r.topic), reasonText(r.reason), r.count])),
      csv('reasons', 'motivi delle risposte non utili'),
    ]);
  }

  function unsureSection(report, csv, titleOf) {
    const title = 'Domande senza risposta o con risposta incerta';
    const total = Math.max(report.unsure_total, report.unsure.length);
    if (!total) return section('unsure', title, [empty()]);
    const shown = report.unsure.length;
    const count = `Nel periodo ${total === 1 ? "l'assistente non ha saputo rispondere, o non era sicuro della risposta, a 1 domanda"
      : `l'assistente non ha saputo rispondere, o non era sicuro della risposta, a ${integer.format(total)} domande`}.`;
    const more = shown < total ? ` Qui sono elencate le ${integer.format(shown)} più recenti.` : '';
    const children = [node('p', '', count + more)];
    if (shown) {
      children.push(
        dataTable('Domande senza risposta o con risposta incerta, dalla più recente', [
          { title: 'Giorno', className: 'reports-date' },
          { title: 'Argomento ipotizzato' },
          { title: 'Domanda', className: 'reports-text' },
        ], report.unsure.map((q) => [longDate(q.day), titleOf(q.topic), q.text]), { rowHeaders: false }),
        csv('unsure', 'domande senza risposta o con risposta incerta'),
      );
    }
    return section('unsure', title, children);
  }

  function liveChatSection(report, csv) {
    const title = 'Passaggi a un operatore';
    const l = report.live_chat;
    if (!l.requested && !l.messages) return section('live-chat', title, [empty()]);
    const children = [
      dataTable("Richieste di parlare con un operatore e come sono finite", [
        { title: 'Voce' },
        { title: 'Valore', num: true },
      ], [
        ['Richieste di parlare con un operatore', l.requested],
        ['Prese in carico da un operatore', l.taken],
        ['Il visitatore ha lasciato un messaggio mentre attendeva', l.message_left],
        ['Il visitatore ha smesso di attendere', l.gave_up],
        ['Ancora in attesa', l.waiting],
        ["Messaggi lasciati all'ufficio (anche quando nessun operatore era disponibile)", l.messages],
        ['Attesa mediana prima della presa in carico', waitCell(l.median_wait_s, T.noWait)],
        ['Attesa massima del 90% delle richieste prese in carico (90° percentile)', waitCell(l.p90_wait_s, T.noWait)],
      ]),
    ];
    if (l.by_office.length) {
      children.push(
        dataTable('Richieste per ufficio', [
          { title: 'Ufficio' },
          { title: 'Richieste', num: true },
          { title: 'Prese in carico', num: true },
          { title: 'Attesa mediana', num: true },
        ], l.by_office.map((o) => [o.office || T.noOffice, o.requested, o.taken, waitCell(o.median_wait_s, T.noWait)])),
      );
    }
    children.push(csv('live_chat', 'passaggi a un operatore per ufficio'));
    return section('live-chat', title, children);
  }

  function bookingsSection(report, csv) {
    const title = 'Prenotazioni per servizio e sede';
    if (!report.bookings.length) return section('bookings', title, [empty()]);
    return section('bookings', title, [
      node('p', 'muted', "Appuntamenti con data nel periodo. «Presentati» e «Assenze» sono quelli segnati allo sportello nell'agenda."),
      dataTable('Prenotazioni per servizio e sede', [
        { title: 'Servizio' },
        { title: 'Sede' },
        { title: 'Prenotate', num: true },
        { title: 'Annullate', num: true },
        { title: 'Presentati', num: true },
        { title: 'Assenze', num: true },
      ], report.bookings.map((b) => [b.service, b.office, b.booked, b.cancelled, b.attended, b.no_shows])),
      csv('bookings', 'prenotazioni per servizio e sede'),
    ]);
  }

  function consentsSection(report, csv) {
    const title = 'Scelte sui cookie';
    const c = report.consents;
    const actions = Object.keys(c.actions).sort(actionOrder);
    const total = actions.reduce((n, a) => n + num(c.actions[a]), 0);
    if (!total) return section('consents', title, [empty()]);
    const children = [
      dataTable('Scelte dei visitatori nel periodo, per tipo', [
        { title: 'Scelta' },
        { title: 'Numero', num: true },
      ], [...actions.map((a) => [actionText(a), num(c.actions[a])]), ['Totale', total]]),
      ...consentsByPeriod(report, actions),
      csv('consents', 'scelte sui cookie per giorno'),
    ];
    if (c.categories.length) {
      children.push(
        dataTable('Consenso per categoria di cookie', [
          { title: 'Categoria' },
          { title: 'Consentito', num: true },
          { title: 'Rifiutato', num: true },
        ], c.categories.map((k) => [k.category, k.granted, k.refused])),
        csv('categories', 'scelte sui cookie per categoria'),
      );
    }
    return section('consents', title, children);
  }

  function consentsByPeriod(report, actions) {
    const { unit, periods, keyOf } = consentPeriods(report.from, report.to);
    for (const d of report.consents.by_day) {
      const p = periods.get(keyOf(d.day));
      if (!p) continue; // a day outside the period: not this report's
      for (const [a, n] of Object.entries(d.actions || {})) p.counts[a] = (p.counts[a] || 0) + num(n);
    }
    const rows = [...periods.values()].map((p) => ({
      label: p.label,
      when: p.when,
      counts: p.counts,
      value: Object.values(p.counts).reduce((n, v) => n + v, 0),
    }));
    const busiest = rows.reduce((best, r) => (r.value > best.value ? r : best), rows[0]);
    const total = rows.reduce((n, r) => n + r.value, 0);
    const per = UNIT[unit].per;
    return [
      barChart({
        id: 'reports-consents-chart',
        title: `Scelte sui cookie ${per}`,
        summary: `${plural(total, 'scelta', 'scelte')} ${rangeText(report.from, report.to)}, ${per}, in ordine di data. `
          + `Il valore più alto, ${integer.format(busiest.value)}, ${busiest.when}.`,
        bars: rows,
      }),
      dataTable(`Scelte sui cookie ${per}`, [
        { title: UNIT[unit].column, className: 'reports-date' },
        ...actions.map((a) => ({ title: actionText(a), num: true })),
        { title: 'Totale', num: true },
      ], rows.map((r) => [r.label, ...actions.map((a) => r.counts[a] || 0), r.value])),
    ];
  }

  function satisfactionSection(report, csv) {
    const title = 'Soddisfazione';
    if (!report.ratings.length && !report.comments.length) return section('satisfaction', title, [empty()]);
    const children = [];
    if (report.ratings.length) {
      children.push(
        node('p', 'muted', 'Voti da 1 (per niente soddisfatto) a 5 (molto soddisfatto).'),
        dataTable('Valutazioni per ufficio o sede', [
          { title: 'Riguarda' },
          { title: 'Ufficio o sede' },
          { title: 'Valutazioni', num: true },
          { title: 'Media', num: true },
          ...[1, 2, 3, 4, 5].map((n) => ({ title: `Voto ${n}`, num: true })),
        ], report.ratings.map((r) => [
          aboutText(r.about), r.office || T.noOffice, r.count, decimal.format(num(r.average)),
          ...[0, 1, 2, 3, 4].map((i) => num(r.by_rating[i])),
        ])),
        csv('ratings', 'valutazioni per ufficio o sede'),
      );
    } else {
      children.push(empty('Nessuna valutazione nel periodo.'));
    }
    if (report.comments.length) {
      children.push(
        dataTable('Commenti dei visitatori, dal più recente', [
          { title: 'Giorno', className: 'reports-date' },
          { title: 'Riguarda' },
          { title: 'Argomento o ufficio' },
          { title: 'Voto', num: true, none: 'nessun voto' },
          { title: 'Motivo', none: 'nessun motivo' },
          { title: 'Commento', className: 'reports-text' },
        ], report.comments.map((k) => [
          longDate(k.day), aboutText(k.about), k.subject || '',
          k.rating === undefined || k.rating === null ? null : num(k.rating),
          k.reason ? reasonText(k.reason) : null,
          k.comment,
        ]), { rowHeaders: false }),
        csv('comments', 'commenti dei visitatori'),
      );
    } else {
      children.push(empty('Nessun commento nel periodo.'));
    }
    return section('satisfaction', title, children);
  }

  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  // Typing again clears the "invalid" marking of a date.
  for (const input of [el.from, el.to]) {
    input.addEventListener('input', () => clearInvalid(input));
  }

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
      defaultPeriod();
      return sites.length > 0;
    },
    /** The view is shown: focus on its heading, the report of the period in the form. */
    shown() {
      el.heading.focus();
      load();
    },
    stop() {
      seq += 1;
      sites = [];
      el.site.replaceChildren();
      el.siteField.hidden = true;
      el.siteName.textContent = '';
      el.siteName.hidden = true;
      clearInvalid();
      el.from.value = '';
      el.to.value = '';
      el.content.replaceChildren();
      el.content.removeAttribute('aria-busy');
      el.status.textContent = '';
      el.error.textContent = '';
    },
  };
}

/**
 * The answer with every list and number in place, so that rendering never
 * trips on a missing field.
 */
function normalise(answer, site, wanted) {
  const a = answer && typeof answer === 'object' ? answer : {};
  const l = a.live_chat && typeof a.live_chat === 'object' ? a.live_chat : {};
  const c = a.consents && typeof a.consents === 'object' ? a.consents : {};
  const wait = (v) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  const counts = (m) => (m && typeof m === 'object' && !Array.isArray(m) ? m : {});
  return {
    site: typeof a.site === 'string' ? a.site : site,
    from: Number.isNaN(dayNumber(a.from)) ? wanted.from : a.from,
    to: Number.isNaN(dayNumber(a.to)) ? wanted.to : a.to,
    topics: list(a.topics).map((t) => ({
      topic: String(t.topic || ''), title: String(t.title || ''),
      answers: num(t.answers), helped: num(t.helped), not_helped: num(t.not_helped),
    })),
    reasons: list(a.reasons).map((r) => ({ topic: String(r.topic || ''), reason: String(r.reason || ''), count: num(r.count) })),
    unsure: list(a.unsure).map((q) => ({ day: String(q.day || ''), topic: String(q.topic || ''), text: String(q.text || '') })),
    unsure_total: num(a.unsure_total),
    live_chat: {
      requested: num(l.requested),
      taken: num(l.taken),
      message_left: num(l.message_left),
      gave_up: num(l.gave_up),
      waiting: num(l.waiting),
      messages: num(l.messages),
      median_wait_s: wait(l.median_wait_s),
      p90_wait_s: wait(l.p90_wait_s),
      by_office: list(l.by_office).map((o) => ({
        office: String(o.office || ''), requested: num(o.requested), taken: num(o.taken), median_wait_s: wait(o.median_wait_s),
      })),
    },
    bookings: list(a.bookings).map((b) => ({
      service: String(b.service || ''), office: String(b.office || ''),
      booked: num(b.booked), cancelled: num(b.cancelled), attended: num(b.attended), no_shows: num(b.no_shows),
    })),
    consents: {
      actions: counts(c.actions),
      by_day: list(c.by_day).map((d) => ({ day: String(d.day || ''), actions: counts(d.actions) })),
      categories: list(c.categories).map((k) => ({ category: String(k.category || ''), granted: num(k.granted), refused: num(k.refused) })),
    },
    ratings: list(a.ratings).map((r) => ({
      about: String(r.about || ''), office: String(r.office || ''), count: num(r.count),
      average: num(r.average), by_rating: list(r.by_rating),
    })),
    comments: list(a.comments).map((k) => ({
      day: String(k.day || ''), about: String(k.about || ''), subject: String(k.subject || ''),
      rating: k.rating === undefined || k.rating === null ? null : num(k.rating),
      reason: k.reason ? String(k.reason) : null,
      comment: String(k.comment || ''),
    })),
  };
}
