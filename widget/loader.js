/* Varco loader. Built into pkg/varco.js together with wasm-bindgen's glue
 * (see xtask): one classic script, so the embed is a single tag that works
 * with defer or async, in <head> or <body>, from any origin.
 *
 * Its job: never break the host page. It only reads the tag's attributes,
 * starts fetching the .wasm next to itself at once, and starts the widget
 * when the DOM is ready. Any failure (no WebAssembly, a .wasm that does not
 * load, an exception) ends in one console warning; managed scripts keep
 * type="text/plain" and stay inert. */
(function () {
  "use strict";
  var w = window, d = document;
  var script = d.currentScript;
  function warn(why) {
    try { console.warn("Varco: the widget is not started (" + why + "). Managed scripts stay blocked."); } catch (_) {}
  }
  if (w.__varcoLoaded) { warn("varco.js is included more than once"); return; }
  w.__varcoLoaded = true;
  // Calls made before the widget is ready are queued in Varco.q (stub
  // pattern); the widget runs them when it starts.
  var V = w.Varco = w.Varco || {};
  V.q = V.q || [];
  ["showPreferences", "showBanner", "reset"].forEach(function (n) {
    if (typeof V[n] !== "function") V[n] = function () { V.q.push([n].concat([].slice.call(arguments))); };
  });
  if (typeof V.consent !== "function") V.consent = function () { return null; };
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    warn("this browser has no WebAssembly");
    return;
  }
  var base = script && script.src ? script.src : (d.baseURI || location.href);
  var wasmUrl;
  try { wasmUrl = new URL("varco_bg.wasm", base).href; } catch (e) { warn("cannot locate varco_bg.wasm"); return; }
  var ready;
  try {
    // Streaming compilation starts now, in parallel with the page's parsing.
    ready = __varco_init({ module_or_path: fetch(wasmUrl, { credentials: "omit" }) });
  } catch (e) { warn(String(e && e.message || e)); return; }
  function whenDomReady(fn) {
    if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", fn, { once: true });
    else fn();
  }
  ready.then(function () {
    whenDomReady(function () {
      try { __varco_exports.start(script || null); }
      catch (e) { warn(String(e && e.message || e)); }
    });
  }, function (e) { warn("varco_bg.wasm could not be loaded: " + String(e && e.message || e)); });
})();
