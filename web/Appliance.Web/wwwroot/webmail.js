// The webmail's only script of its own: the browser's time zone, so dates show in the user's time,
// and the one thing drag and drop needs on the page itself. A drop happens only where dragover was
// cancelled (HTML's drag-and-drop processing model); answering every dragover (dozens a second)
// over the Blazor circuit would be wasteful, so folders marked data-drop-target accept drops here.
window.applianceWebmail = {
  timeZone: function () { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; }
};
document.addEventListener("dragover", function (e) {
  if (e.target instanceof Element && e.target.closest("[data-drop-target]")) {
    e.preventDefault();
  }
});
