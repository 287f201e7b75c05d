// Start Swagger UI on /api/docs with this site's description; no external validator badge.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.url,
    domNode: node,
    deepLinking: false, // true puts a link inside each operation's button (nested-interactive)
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
