package io.salientstream.stack.junit;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The Testcontainers broker; only loaded in container mode, so Testcontainers stays an optional
 * dependency.
 */
final class ContainerBroker implements AutoCloseable {
  private final KafkaContainer container;

  private ContainerBroker(KafkaContainer container) {
    this.container = container;
  }

  static ContainerBroker start(String image) {
    KafkaContainer c = new KafkaContainer(image);
    c.start();
    return new ContainerBroker(c);
  }

  String bootstrapServers() {
    return container.getBootstrapServers();
  }

  static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @Override
  public void close() {
    container.stop();
  }
}
