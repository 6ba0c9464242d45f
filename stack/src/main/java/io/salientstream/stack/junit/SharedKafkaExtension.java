package io.salientstream.stack.junit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JUnit 5 extension giving every test class of a JVM the same Kafka broker and schema registry,
 * started lazily by the first class that needs it and closed when the whole run ends (it lives in
 * the root context's store).
 *
 * <p>Broker selection by the system property {@value #MODE_PROPERTY}: {@code inprocess} (default)
 * runs the in-process KRaft broker; {@code container} runs {@code apache/kafka} through
 * Testcontainers (image from {@value #IMAGE_PROPERTY}, default {@value #DEFAULT_IMAGE}) when Docker
 * is available, and falls back to the in-process broker with a warning when it is not.
 *
 * <pre>{@code
 * @WithSharedStack
 * class MyTest {
 *     @Test void roundTrip(SharedStack stack) { ... stack.bootstrapServers() ... stack.registryUrl() ... }
 * }
 * }</pre>
 */
public final class SharedKafkaExtension implements BeforeAllCallback, ParameterResolver {
  public static final String MODE_PROPERTY = "salientstream.test.kafka";
  public static final String IMAGE_PROPERTY = "salientstream.test.kafka.image";
  public static final String DEFAULT_IMAGE = "apache/kafka:4.1.0";
  private static final Logger LOG = LoggerFactory.getLogger(SharedKafkaExtension.class);
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SharedKafkaExtension.class);

  private static volatile SharedStack shared;

  @Override
  public void beforeAll(ExtensionContext context) {
    acquire(context);
  }

  /** The shared stack; only valid inside a test class using this extension. */
  public static SharedStack stack() {
    SharedStack s = shared;
    if (s == null) {
      throw new IllegalStateException(
          "no shared stack: annotate the test class with @WithSharedStack");
    }
    return s;
  }

  @Override
  public boolean supportsParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == SharedStack.class;
  }

  @Override
  public Object resolveParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext)
      throws ParameterResolutionException {
    return acquire(extensionContext);
  }

  private static SharedStack acquire(ExtensionContext context) {
    Holder h =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(Holder.class, k -> new Holder(start()), Holder.class);
    shared = h.stack;
    return h.stack;
  }

  private static SharedStack start() {
    String mode = System.getProperty(MODE_PROPERTY, "inprocess");
    SharedStack s;
    if (mode.equalsIgnoreCase("container")) {
      if (ContainerBroker.dockerAvailable()) {
        s = SharedStack.container(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE));
      } else {
        LOG.warn(
            "{}=container but Docker is not available: using the in-process broker", MODE_PROPERTY);
        s = SharedStack.inProcess();
      }
    } else if (mode.equalsIgnoreCase("inprocess")) {
      s = SharedStack.inProcess();
    } else {
      throw new IllegalArgumentException(
          MODE_PROPERTY + " must be inprocess or container, got " + mode);
    }
    LOG.info(
        "shared test stack ({}) ready in {} ms: kafka {}, schema registry {}",
        s.mode(),
        s.readyMillis(),
        s.bootstrapServers(),
        s.registryUrl());
    return s;
  }

  /** Closes the stack when the root context closes (end of the test run). */
  @SuppressWarnings("deprecation")
  static final class Holder implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    final SharedStack stack;

    Holder(SharedStack stack) {
      this.stack = stack;
    }

    @Override
    public void close() throws Exception {
      shared = null;
      stack.close();
    }
  }
}
