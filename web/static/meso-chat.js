// The clinic's chat widget: plain JavaScript on socket.io-client (window.io, from
// socket.io.min.js), speaking Rasa's socket.io protocol (session_request,
// session_confirm, user_uttered, bot_uttered).
//
// Accessible by design: the launcher and every button are real <button>s with names,
// the input has a label, new messages are announced (role="log"), Esc closes the chat
// and gives focus back to the launcher. Replies are shown the moment they arrive (no
// display delay); a 911 reply is marked urgent by the server and announced at once.
// Styles come from meso-chat.css (classes only, no inline styles: CSP-friendly).
// The signed session id and the history are kept in session storage, so a reload
// continues the same conversation.
(function () {
  "use strict";

  var STORAGE_KEY = "meso_chat";
  // The widget's own words; options.language picks them (the server's replies follow the
  // conversation's language, which starts as this one).
  var STRINGS = {
    en: {
      launcher: "Chat with our assistant",
      title: "Questions about mesotherapy",
      subtitle: "Automated assistant - not for emergencies",
      close: "Close chat",
      conversation: "Conversation",
      typing: "The assistant is typing",
      yourMessage: "Your message",
      placeholder: "Ask about mesotherapy",
      send: "Send",
      you: "You: ",
      assistant: "Assistant: ",
      suggested: "Suggested replies",
      lost: "Connection lost. Trying again...",
      unreachable: "Cannot reach the assistant right now. Trying again..."
    },
    es: {
      launcher: "Chatee con nuestro asistente",
      title: "Preguntas sobre la mesoterapia",
      subtitle: "Asistente automático - no es para emergencias",
      close: "Cerrar el chat",
      conversation: "Conversación",
      typing: "El asistente está escribiendo",
      yourMessage: "Su mensaje",
      placeholder: "Pregunte sobre la mesoterapia",
      send: "Enviar",
      you: "Usted: ",
      assistant: "Asistente: ",
      suggested: "Respuestas sugeridas",
      lost: "Se perdió la conexión. Intentando de nuevo...",
      unreachable: "No se puede contactar al asistente ahora. Intentando de nuevo..."
    }
  };
  var TYPING_TIMEOUT_MS = 20000;
  var counter = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "mc-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16v11H8l-4 4z");
    svg.appendChild(path);
    return svg;
  }

  function storageOf(kind) {
    try {
      var store = kind === "local" ? window.localStorage : window.sessionStorage;
      store.getItem(STORAGE_KEY);
      return store;
    } catch (e) {
      return null; // storage blocked: the chat still works, without history
    }
  }

  function cleanButtons(raw) {
    var buttons = [];
    (Array.isArray(raw) ? raw : []).forEach(function (button) {
      if (button && typeof button.title === "string" && typeof button.payload === "string" && button.title) {
        buttons.push({ title: button.title, payload: button.payload });
      }
    });
    return buttons;
  }

  function cleanLink(raw) {
    // Only paths on the assistant's own server ("/chat/..."), never another site.
    if (!raw || typeof raw.url !== "string" || typeof raw.title !== "string") {
      return null;
    }
    if (raw.url.charAt(0) !== "/" || raw.url.charAt(1) === "/") {
      return null;
    }
    return { url: raw.url, title: raw.title };
  }

  function init(options) {
    options = options || {};
    var root = document.querySelector(options.selector || "#webchat");
    if (!root || typeof window.io !== "function") {
      return null;
    }
    var id = "mc" + ++counter;
    var language = STRINGS[options.language] ? options.language : "en";
    var words = STRINGS[language];
    var customData = Object.assign({ language: language }, options.customData || {});
    var base = (options.socketUrl || window.location.origin).replace(/\/+$/, "");
    var storageKind = options.storage || (options.params && options.params.storage) || "session";
    var store = storageOf(storageKind);
    var state = { session_id: null, messages: [], open: false };
    try {
      var saved = store && JSON.parse(store.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) {
        state = saved;
      }
    } catch (e) {
      state = { session_id: null, messages: [], open: false };
    }

    function save() {
      if (store) {
        try {
          store.setItem(STORAGE_KEY, JSON.stringify(state));
        } catch (e) {
          // full or blocked: keep going without history
        }
      }
    }

    if (options.stylesheet !== false) {
      var href = options.stylesheet || base + "/chat/static/meso-chat.css";
      var present = Array.prototype.some.call(document.querySelectorAll("link[rel=stylesheet]"), function (link) {
        return link.href === new URL(href, window.location.href).href;
      });
      if (!present) {
        var sheet = el("link");
        sheet.rel = "stylesheet";
        sheet.href = href;
        document.head.appendChild(sheet);
      }
    }

    // --- the widget's elements ---------------------------------------------------------
    var launcher = el("button", "mc-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", id + "-panel");
    launcher.appendChild(chatIcon());
    launcher.appendChild(el("span", "mc-launcher-label", options.launcherLabel || words.launcher));

    var panel = el("section", "mc-panel");
    panel.id = id + "-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", id + "-title");
    panel.setAttribute("aria-describedby", id + "-subtitle");

    var header = el("header", "mc-header");
    var titles = el("div", "mc-titles");
    var title = el("h2", "mc-title", options.title || words.title);
    title.id = id + "-title";
    var subtitle = el("p", "mc-subtitle", options.subtitle || words.subtitle);
    subtitle.id = id + "-subtitle";
    titles.appendChild(title);
    titles.appendChild(subtitle);
    var closer = el("button", "mc-close");
    closer.type = "button";
    closer.setAttribute("aria-label", words.close);
    closer.appendChild(el("span", "", "\u00d7")).setAttribute("aria-hidden", "true");
    header.appendChild(titles);
    header.appendChild(closer);

    var log = el("div", "mc-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-relevant", "additions");
    log.setAttribute("aria-label", words.conversation);
    log.tabIndex = 0; // scrollable: reachable by keyboard

    var typing = el("p", "mc-typing", words.typing);
    typing.hidden = true;
    typing.setAttribute("role", "status");
    var status = el("p", "mc-status");
    status.setAttribute("role", "status");

    var form = el("form", "mc-form");
    var label = el("label", "mc-visually-hidden", words.yourMessage);
    label.htmlFor = id + "-input";
    var input = el("input", "mc-input");
    input.id = id + "-input";
    input.type = "text";
    input.autocomplete = "off";
    input.maxLength = 1000;
    input.placeholder = options.inputTextFieldHint || words.placeholder;
    var sendButton = el("button", "mc-send", words.send);
    sendButton.type = "submit";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(sendButton);

    panel.appendChild(header);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(status);
    panel.appendChild(form);
    root.appendChild(launcher);
    root.appendChild(panel);

    // --- messages ------------------------------------------------------------------------
    function deactivateButtons() {
      state.messages.forEach(function (message) {
        message.active = false;
      });
      Array.prototype.forEach.call(log.querySelectorAll(".mc-replies"), function (group) {
        group.parentNode.removeChild(group);
      });
    }

    function render(message) {
      var item = el("div", "mc-msg mc-" + (message.from === "user" ? "user" : "bot"));
      if (message.urgent) {
        item.className += " mc-urgent";
        item.setAttribute("role", "alert");
      }
      if (message.notice) {
        item.className += " mc-notice";
      }
      var bubble = el("p", "mc-text");
      bubble.appendChild(el("span", "mc-visually-hidden", message.from === "user" ? words.you : words.assistant));
      bubble.appendChild(document.createTextNode(message.text));
      if (message.link) {
        bubble.appendChild(document.createTextNode(" "));
        var link = el("a", "mc-link", message.link.title);
        link.href = base + message.link.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.appendChild(el("span", "mc-visually-hidden", " (opens in a new tab)"));
        bubble.appendChild(link);
      }
      item.appendChild(bubble);
      if (message.active && message.buttons && message.buttons.length) {
        var group = el("div", "mc-replies");
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", words.suggested);
        message.buttons.forEach(function (choice) {
          var button = el("button", "mc-reply", choice.title);
          button.type = "button";
          button.addEventListener("click", function () {
            send(choice.payload, choice.title);
            input.focus();
          });
          group.appendChild(button);
        });
        item.appendChild(group);
      }
      log.appendChild(item);
      if (message.from === "user" || !anchor) {
        anchor = item;
        urgent = null;
      }
      if (message.urgent) {
        urgent = item;
      }
      scroll();
    }

    // Keeps the reader's place: new replies scroll into view, but never past the start
    // of the patient's last message (or of the welcome), so a long or multi-part reply
    // is read from its beginning; a 911 reply is always brought into view.
    var anchor = null;
    var urgent = null;
    function scroll() {
      if (!anchor || panel.hidden) {
        return;
      }
      var bottom = log.scrollHeight - log.clientHeight;
      log.scrollTop = Math.max(0, Math.min(bottom, anchor.offsetTop - 8));
      if (urgent) {
        var top = urgent.offsetTop;
        if (top < log.scrollTop || top + urgent.offsetHeight > log.scrollTop + log.clientHeight) {
          log.scrollTop = top - 8;
        }
      }
    }

    function add(message) {
      state.messages.push(message);
      save();
      render(message);
    }

    function showTyping(on) {
      typing.hidden = !on;
      window.clearTimeout(showTyping.timer);
      if (on) {
        showTyping.timer = window.setTimeout(function () {
          typing.hidden = true;
        }, TYPING_TIMEOUT_MS);
      }
    }

    function receive(raw) {
      if (!raw || typeof raw !== "object") {
        return;
      }
      var text = typeof raw.text === "string" ? raw.text : "";
      var buttons = cleanButtons(raw.quick_replies || raw.buttons);
      if (!text && !buttons.length) {
        return;
      }
      showTyping(false);
      add({
        from: "bot",
        text: text,
        buttons: buttons,
        active: buttons.length > 0,
        urgent: raw.urgent === true,
        notice: raw.notice === "emergency",
        link: cleanLink(raw.link)
      });
    }

    // --- the connection ------------------------------------------------------------------
    var socket = null;
    var ready = false;
    var waiting = [];

    function emitMessage(text) {
      socket.emit("user_uttered", {
        message: text,
        session_id: state.session_id,
        customData: customData
      });
    }

    function connect() {
      if (socket) {
        return;
      }
      socket = window.io(base, { path: options.socketPath || "/socket.io/" });
      socket.on("connect", function () {
        status.textContent = "";
        socket.emit("session_request", { session_id: state.session_id, language: language });
      });
      socket.on("session_confirm", function (granted) {
        var sessionId = typeof granted === "string" ? granted : granted && granted.session_id;
        if (state.session_id && sessionId !== state.session_id) {
          // The server did not accept the stored conversation: a new one starts afresh.
          state.messages = [];
          log.textContent = "";
          anchor = urgent = null;
        }
        state.session_id = sessionId;
        save();
        ready = true;
        waiting.splice(0).forEach(emitMessage);
      });
      socket.on("bot_uttered", receive);
      socket.on("disconnect", function () {
        ready = false;
        status.textContent = words.lost;
      });
      socket.on("connect_error", function () {
        status.textContent = words.unreachable;
      });
    }

    function send(text, shown) {
      text = (text || "").trim();
      if (!text) {
        return;
      }
      deactivateButtons();
      add({ from: "user", text: shown || text });
      showTyping(true);
      if (ready) {
        emitMessage(text);
      } else {
        waiting.push(text);
        connect();
      }
    }

    // --- opening and closing -------------------------------------------------------------
    function open(focus) {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      state.open = true;
      save();
      connect();
      scroll();
      if (focus) {
        input.focus();
      }
    }

    function close() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      state.open = false;
      save();
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      open(true);
    });
    closer.addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      send(text);
    });

    state.messages.forEach(render);
    if (state.open) {
      open(false); // a reload keeps the chat open, without moving the reader's focus
    }
    return { open: open, close: close, send: send, socket: function () { return socket; } };
  }

  window.MesoChat = { init: init };
})();
