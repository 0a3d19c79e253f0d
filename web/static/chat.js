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
    params: { storage: "session" }
  }, container);  // rendered into the page's chat box, not a floating launcher
})();
