// Start Swagger UI on /api/docs with this site's description; no external validator badge.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.url,
    domNode: node,
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
