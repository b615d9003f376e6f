/* Varco loader. Built into pkg/varco.js together with the first module's
 * wasm-bindgen glue (see xtask): one classic script, so the embed is a
 * single tag that works with defer or async, in <head> or <body>, from any
 * origin.
 *
 * Two modules: varco_first.wasm, the light part (the banner, the
 * preferences, the decisions and their records, managed scripts, the
 * navigation record, window.Varco, the launchers), on every page and for
 * the page's whole life; varco_app.js + varco_app.wasm (the privacy
 * centre, the assistant) only when the visitor reaches for one of them.
 * The app renders beside the light part and asks it, through the light
 * part's own exports, for the consent and the navigation record it shows.
 *
 * Its job: never break the host page. Any failure (no WebAssembly, a module
 * that does not load, an exception) ends in one console warning and no
 * widget; managed scripts keep type="text/plain" and stay inert. */
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
  function near(name) { return new URL(name, base).href; }
  // The widget's own files carry nothing of the visitor's: no cookies, and
  // no Referer naming the page they are on.
  var quiet = { credentials: "omit", referrerPolicy: "no-referrer" };
  // With an async embed the DOM may still be loading: then `fn` runs in a
  // task of its own after DOMContentLoaded, not inside the page's handlers
  // of that event (which would make one long task of both).
  function whenDomReady(fn) {
    if (d.readyState === "loading") {
      d.addEventListener("DOMContentLoaded", function () { setTimeout(fn, 0); }, { once: true });
    } else fn();
  }
  // The banner can be painted before the page has finished parsing (an
  // async tag in <head>, on a long page: the visitor reads it sooner) once
  // the body exists and the configuration block is whole, i.e. in <head>.
  // Applying the choice waits for the whole page (whenDomReady), so that
  // every managed script and iframe is there.
  function whenPaintable(fn) {
    var block = d.getElementById("varco-config");
    if (d.readyState === "loading" && d.body && block && d.head && d.head.contains(block)) fn();
    else whenDomReady(fn);
  }
  function failure(e) { return String(e && e.message || e); }
  // User Timing marks of each step (varco:loader, varco:first-ready,
  // varco:first-decided, varco:first-painted, varco:app-requested,
  // varco:app-ready, varco:app-started), for the benchmark and for a
  // webmaster's DevTools.
  function mark(step) { try { performance.mark("varco:" + step); } catch (_) {} }
  mark("loader");
  // The first module is the light part: it asks for consent, applies the
  // choice and records the page view. The app (varco_app.js + .wasm: the
  // privacy centre, the assistant) loads only when the visitor reaches for
  // one of them, or when the light part could not start: then only to say
  // why in the console.
  var first = null;
  var prepared = false;
  var settled = false;
  var started = null;
  // What the app carries out when it starts (a FirstAction name).
  var pending = null;
  // The app did not load. If the light part runs, it stays and the next
  // reach tries again; if not, a banner whose buttons can do nothing must
  // not stay on the page.
  function giveUp(why) {
    appRequested = false;
    if (settled) { warn(why + "; consent works, the rest is not available"); return; }
    warn(why);
    ["varco-widget", "varco-skip"].forEach(function (tag) {
      var host = d.querySelector(tag);
      if (host && host.parentNode) host.parentNode.removeChild(host);
    });
  }
  // The light part's reach for the app: `name` is what the visitor asked
  // (see FirstAction in core/src/banner.rs).
  function reach(name) {
    if (started) { try { started.press(name); } catch (e) { warn(failure(e)); } return; }
    // The banner's and the preferences' presses are the light part's; it
    // tells every one, and the app has nothing to do with them.
    if (name !== "privacy" && name !== "assistant" && name !== "load_app") return;
    if (name !== "load_app") pending = name;
    loadApp();
  }
  // Consent Mode's signals (first-paint/src/signals.rs): gtag's queue takes a
  // command only as an `arguments` object, which the modules cannot make.
  function gtag() {
    if (typeof w.gtag === "function") return w.gtag.apply(w, arguments);
    (w.dataLayer = w.dataLayer || []).push(arguments);
  }
  var appRequested = false;
  // The app: its glue (varco_app.js, a classic script that hands its init
  // function to the callback set on its own element, so no global is
  // created) and its module, fetched only now.
  function loadApp() {
    if (appRequested) return;
    appRequested = true;
    mark("app-requested");
    var s = d.createElement("script");
    try { s.src = near("varco_app.js"); } catch (e) { giveUp("cannot locate varco_app.js"); return; }
    s.async = true;
    // Without cookies from another origin (a script element cannot omit
    // its own origin's: that file is served by the site itself).
    s.crossOrigin = "anonymous";
    s.referrerPolicy = "no-referrer";
    s.__varcoStart = function (app) {
      var wasm;
      try { wasm = fetch(near("varco_app.wasm"), quiet); } catch (e) { giveUp(failure(e)); return; }
      app({ module_or_path: wasm }).then(function () {
        mark("app-ready");
        // A task of its own: instantiating and starting in one would make
        // one long task that blocks the visitor's input for longer.
        setTimeout(function () {
          whenDomReady(function () {
            var action = pending;
            pending = null;
            try { app.start(script || null, action, prepared ? first : null); started = app; mark("app-started"); }
            catch (e) { warn(failure(e)); }
          });
        }, 0);
      }, function (e) { giveUp("varco_app.wasm could not be loaded: " + failure(e)); });
    };
    s.onerror = function () { s.parentNode && s.parentNode.removeChild(s); giveUp("varco_app.js could not be loaded"); };
    (d.head || d.documentElement).appendChild(s);
  }
  // The first module's download starts now. Its glue is set up, and its
  // streaming compilation started, in the next task: a deferred varco.js
  // runs inside the page's end-of-parsing task, and whatever it does there
  // makes that task longer (the response cannot be read before that task
  // ends anyway).
  var wasmResponse;
  try { wasmResponse = fetch(near("varco_first.wasm"), quiet); }
  catch (e) { wasmResponse = Promise.reject(e); }
  // Handled below, once the glue reads it; this keeps a failed download
  // from being reported as an unhandled rejection meanwhile.
  wasmResponse["catch"](function () {});
  var ready = new Promise(function (resolve) { setTimeout(resolve, 0); }).then(function () {
    first = __varco_glue();
    return first({ module_or_path: wasmResponse });
  });
  // Each step in a task of its own: on a slow CPU the module's functions
  // are compiled as they are first called, and several steps in one task
  // would block the visitor's input for too long.
  // The light part settles even if the app is on its way (a reach on the
  // banner): the consent stays the light part's.
  function settle() {
    if (settled) return;
    try { settled = first.settle(); } catch (e) { settled = false; }
    if (!settled) loadApp();
  }
  ready.then(function () {
    mark("first-ready");
    whenPaintable(function () {
      var state = 0;
      try { state = first.prepare(script || null, reach, gtag); } catch (e) { state = 0; }
      // The light part cannot start (the app says why in the console).
      if (!state) { whenDomReady(loadApp); return; }
      prepared = true;
      mark("first-decided");
      if (state === 1) { whenDomReady(function () { setTimeout(settle, 0); }); return; }
      setTimeout(function () {
        var painted = false;
        try { painted = first.paint(); } catch (e) { painted = false; }
        if (!painted) { whenDomReady(loadApp); return; }
        mark("first-painted");
        whenDomReady(function () { setTimeout(settle, 0); });
      }, 0);
    });
  }, function () {
    // Without the light part nothing can be asked or granted: the app
    // only says why.
    whenDomReady(loadApp);
  });
})();
