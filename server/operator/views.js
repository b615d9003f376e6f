// What the console's views share: the months' names (the agenda, the
// reports, the knowledge base), and for the webmaster's views (the site's
// configuration, the reports, the knowledge base) a site's name and a live
// region that says a text again when it is the same as before.

/** The months' names, January first, as dates are written in Italian. */
export const MONTHS = ['gennaio', 'febbraio', 'marzo', 'aprile', 'maggio', 'giugno', 'luglio',
  'agosto', 'settembre', 'ottobre', 'novembre', 'dicembre'];

/** The name of site `id` among `sites` ({id, name}), or the id itself. */
export function siteName(sites, id) {
  const s = sites.find((x) => x.id === id);
  return s ? (s.name || s.id) : id;
}

/**
 * Sets a live region's text. A screen reader hears a region only when its
 * text changes: the same text again is cleared, then set after a moment,
 * unless `stillWanted()` says the view has moved on meanwhile.
 */
export function announce(region, text, stillWanted) {
  if (region.textContent === text) {
    region.textContent = '';
    window.setTimeout(() => { if (stillWanted()) region.textContent = text; }, 100);
  } else {
    region.textContent = text;
  }
}
