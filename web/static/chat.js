// Starts the chat widget (window.MesoChat, from meso-chat.js) on this page.
// Loaded as a file, never inline, so the page's CSP can allow scripts from 'self' only.
(function () {
  "use strict";
  var root = document.getElementById("webchat");
  if (!window.MesoChat || !root) {
    return;
  }
  window.MesoChat.init({
    selector: "#webchat",
    socketUrl: window.location.origin,
    socketPath: "/socket.io/",
    customData: { language: "en" },
    title: root.getAttribute("data-clinic-name") || "Questions about mesotherapy",
    subtitle: "Automated assistant - not for emergencies",
    inputTextFieldHint: "Ask about mesotherapy",
    storage: "session"
  });
})();
