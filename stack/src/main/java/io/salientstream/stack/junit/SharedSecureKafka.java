package io.salientstream.stack.junit;

import io.salientstream.stack.EmbeddedKafka;

/**
 * At most one secure in-process broker per JVM ({@link EmbeddedKafka.Builder#secure()}: SASL_SSL,
 * SCRAM-SHA-512, StandardAuthorizer, no access without an ACL), started on first use and stopped
 * when the JVM exits, so every secure test of a test run shares it.
 */
public final class SharedSecureKafka {
  private static EmbeddedKafka broker;

  private SharedSecureKafka() {}

  /** The running shared secure broker (started on the first call). */
  public static synchronized EmbeddedKafka get() {
    if (broker == null) {
      EmbeddedKafka b = EmbeddedKafka.builder().secure().build().start();
      Runtime.getRuntime().addShutdownHook(new Thread(b::close, "shared-secure-kafka-stop"));
      broker = b;
    }
    return broker;
  }
}
