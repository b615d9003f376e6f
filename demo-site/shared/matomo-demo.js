/*
 * Demo stand-in for the Matomo tracker of Web Analytics Italia.
 *
 * The real tracker (matomo.js, served by the analytics platform) cannot be
 * reached from the offline demo, so this file reproduces only what matters
 * for testing consent handling: each time it runs it increments a counter,
 * sets the two first-party Matomo cookies and sends one hit to a local
 * endpoint. It does not collect anything else.
 *
 * The pages include it as a managed script that Varco activates only after
 * consent to the "analitici" category:
 *   <script type="text/plain" data-varco-category="analitici"
 *           src="/demo-site/shared/matomo-demo.js"></script>
 *
 * With "?cookieless" in its address it behaves like Matomo configured with
 * _paq.push(['disableCookies']): the hit is sent, no cookie is set. The
 * Comune di Calvatone's pages load it so: its privacy notice says the site
 * uses no persistent cookie of any kind.
 *
 * Plain ES5 on purpose: no build step, works in old browsers.
 */
(function () {
  'use strict';

  window.varcoDemoAnalytics = (window.varcoDemoAnalytics || 0) + 1;

  function randomHex(length) {
    var out = '';
    var i;
    var bytes;
    var cryptoObj = window.crypto || window.msCrypto;
    if (cryptoObj && cryptoObj.getRandomValues) {
      bytes = new Uint8Array(Math.ceil(length / 2));
      cryptoObj.getRandomValues(bytes);
      for (i = 0; i < bytes.length; i++) {
        out += ('0' + bytes[i].toString(16)).slice(-2);
      }
    } else {
      for (i = 0; i < length; i++) {
        out += Math.floor(Math.random() * 16).toString(16);
      }
    }
    return out.slice(0, length);
  }

  var now = Math.floor(new Date().getTime() / 1000);
  var self = document.currentScript;
  var cookieless = !!(self && /[?&]cookieless\b/.test(self.src || ''));

  // Visitor cookie (13 months) and session cookie (30 minutes), as set by
  // Matomo unless its cookies are disabled.
  if (!cookieless) {
    document.cookie = '_pk_id.1.1fff=' + randomHex(16) + '.' + now +
      '; path=/; max-age=33696000; SameSite=Lax';
    document.cookie = '_pk_ses.1.1fff=1; path=/; max-age=1800; SameSite=Lax';
  }

  // One page-view hit to the local stand-in of matomo.php.
  var hitUrl = '/demo-analytics/matomo.php?idsite=1&rec=1&url=' + encodeURIComponent(location.href);
  var sent = false;
  try {
    if (navigator.sendBeacon) {
      sent = navigator.sendBeacon(hitUrl);
    }
  } catch (e) {
    sent = false;
  }
  if (!sent && window.fetch) {
    try {
      window.fetch(hitUrl, { method: 'POST', keepalive: true })['catch'](function () {});
    } catch (e2) {
      // Nothing else to try: the hit is lost, as it would be with the real tracker.
    }
  }
})();
