/** A modular BoxKit user: only the API is required; the backend is bound as a service provider. */
module com.example.modular {
  requires dev.boxkit.api;
}
