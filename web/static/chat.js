// Starts the rasa-webchat widget (window.WebChat, from webchat.js) on this page.
// Loaded as a file, never inline, so the page's CSP can allow scripts from 'self' only.
(function () {
  "use strict";
  var root = document.getElementById("webchat");
  if (!window.WebChat || !root) {
    return;
  }
  window.WebChat.default(
    {
      selector: "#webchat",
      socketUrl: window.location.origin,
      socketPath: "/socket.io/",
      customData: { language: "en" },
      title: root.getAttribute("data-clinic-name") || "Mesotherapy questions",
      subtitle: "Automated assistant - not for emergencies",
      inputTextFieldHint: "Ask about mesotherapy...",
      params: { storage: "session" },
      showFullScreenButton: false,
      showMessageDate: false
    },
    null
  );
})();
