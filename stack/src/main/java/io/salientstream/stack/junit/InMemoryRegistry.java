package io.salientstream.stack.junit;

import io.salientstream.registry.server.InMemorySchemaLog;
import io.salientstream.registry.server.SchemaRegistryServer;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real schema registry server (HTTP on a free port) whose schemas live in memory, for tests that
 * need Avro in the registry wire format without a broker — e.g. topologies on Kafka Streams' test
 * driver. One per test class:
 *
 * <pre>{@code
 * @RegisterExtension static final InMemoryRegistry REGISTRY = new InMemoryRegistry();
 * ... EventSerdes.of(SalienceReport.class, REGISTRY.serdeConfig()) ...
 * }</pre>
 *
 * Test engines without JUnit Jupiter's extensions (jqwik) call {@link #start()} and {@link
 * #close()} themselves.
 */
public final class InMemoryRegistry implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  private SchemaRegistryServer server;

  /** Starts the server unless it is running. */
  public synchronized InMemoryRegistry start() {
    if (server == null) {
      server = SchemaRegistryServer.builder(new InMemorySchemaLog()).port(0).build().start();
    }
    return this;
  }

  /** The server's base URL. */
  public synchronized String url() {
    if (server == null) {
      throw new IllegalStateException(
          "the in-memory registry is not started (register it with @RegisterExtension"
              + " on a static field, or call start())");
    }
    return server.url();
  }

  /** The serde configuration pointing at this registry ({@code schema.registry.url}). */
  public Map<String, Object> serdeConfig() {
    return Map.of("schema.registry.url", url());
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }
}
