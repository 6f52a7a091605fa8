// Starts the chat widget (window.MesoChat, from meso-chat.js) on this page, in the
// page's language (data-language on #webchat: "en" or "es").
// Loaded as a file, never inline, so the page's CSP can allow scripts from 'self' only.
(function () {
  "use strict";
  var root = document.getElementById("webchat");
  if (!window.MesoChat || !root) {
    return;
  }
  var language = root.getAttribute("data-language") === "es" ? "es" : "en";
  window.MesoChat.init({
    selector: "#webchat",
    socketUrl: window.location.origin,
    socketPath: "/socket.io/",
    language: language,
    title: root.getAttribute("data-clinic-name") || undefined,
    storage: "session"
  });
})();
