// The webmail's only script of its own: the browser's time zone, so dates show in the user's time.
window.applianceWebmail = {
  timeZone: function () { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; }
};
