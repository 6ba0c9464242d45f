package io.salientstream.stack.junit;

import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.stack.LocalStack;
import io.salientstream.stack.RegistryService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/**
 * The broker and schema registry shared by every test class of a test JVM (see {@link
 * SharedKafkaExtension}). Inject it as a test or lifecycle method parameter, or call {@link
 * SharedKafkaExtension#stack()}.
 */
public final class SharedStack implements AutoCloseable {

  /** Where the broker runs. */
  public enum Mode {
    IN_PROCESS,
    CONTAINER
  }

  private final Mode mode;
  private final LocalStack local;
  private final AutoCloseable container;
  private final String bootstrapServers;
  private final RegistryService registry;
  private final long readyMillis;
  private boolean closed;

  private SharedStack(
      Mode mode,
      LocalStack local,
      AutoCloseable container,
      String bootstrapServers,
      RegistryService registry,
      long readyMillis) {
    this.mode = mode;
    this.local = local;
    this.container = container;
    this.bootstrapServers = bootstrapServers;
    this.registry = registry;
    this.readyMillis = readyMillis;
  }

  static SharedStack inProcess() {
    LocalStack stack = LocalStack.ephemeral().start();
    return new SharedStack(
        Mode.IN_PROCESS, stack, null, stack.bootstrapServers(), null, stack.readyMillis());
  }

  static SharedStack container(String image) {
    long t0 = System.nanoTime();
    ContainerBroker broker = ContainerBroker.start(image);
    RegistryService registry = new RegistryService();
    try {
      registry.start(broker.bootstrapServers(), null, new Properties());
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    return new SharedStack(
        Mode.CONTAINER,
        null,
        broker,
        broker.bootstrapServers(),
        registry,
        (System.nanoTime() - t0) / 1_000_000);
  }

  public Mode mode() {
    return mode;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public String registryUrl() {
    return local != null ? local.registryUrl() : registry.url();
  }

  /**
   * Client settings for this stack: {@code bootstrap.servers} and {@code schema.registry.url} (a
   * new mutable map, so callers may add their own).
   */
  public Map<String, Object> clientConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("bootstrap.servers", bootstrapServers());
    c.put("schema.registry.url", registryUrl());
    return c;
  }

  /** A new registry client (cheap; the caller may share it). */
  public HttpSchemaRegistryClient registryClient() {
    return new HttpSchemaRegistryClient(registryUrl());
  }

  /** An admin client on the shared broker; the caller closes it. */
  public Admin admin() {
    Properties p = new Properties();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return Admin.create(p);
  }

  /** Stops and restarts the schema registry (it rebuilds its state from the schema topic). */
  public void restartRegistry() {
    if (local != null) {
      local.restartRegistry();
    } else {
      registry.stop();
      registry.start(bootstrapServers, null, new Properties());
    }
  }

  /** The in-process stack, or {@code null} in container mode. */
  public LocalStack localStack() {
    return local;
  }

  /** Milliseconds it took to start. */
  public long readyMillis() {
    return readyMillis;
  }

  @Override
  public synchronized void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    if (local != null) {
      local.close();
    } else {
      registry.stop();
      container.close();
    }
  }
}
