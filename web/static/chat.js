// Starts the rasa-webchat widget inside the page with the settings the server put in data-widget.
(function () {
  var container = document.getElementById("chat");
  var config = JSON.parse(container.dataset.widget);
  window.WebChat.default({
    socketUrl: config.socketUrl,
    socketPath: "/socket.io/",
    initPayload: "/greet",
    customData: { language: "en" },
    title: config.title,
    subtitle: "Back and neck pain questions",
    inputTextFieldHint: "Type your message",
    embedded: true,
    showFullScreenButton: false,
    // Session storage keeps the conversation across reloads of this tab.
    params: { storage: "session" },
    // Help-now replies (the server starts them with the alert icon) appear at once; others
    // after the widget's usual typing pause (30 ms a character, 0.8 to 3 s).
    // Tells the server each reply arrived; one that does not is kept for when the page is
    // back (connectors/website.py, PageDelivery). socket.io passes the ack function last.
    onSocketEvent: {
      bot_uttered: function () {
        var acknowledge = arguments[arguments.length - 1];
        if (typeof acknowledge === "function") acknowledge();
      }
    },
    customMessageDelay: function (text) {
      if (text.indexOf("\u26A0") === 0) return 0;
      return Math.min(Math.max(30 * text.length, 800), 3000);
    }
  }, container);  // rendered into the page's chat box, not a floating launcher
})();
