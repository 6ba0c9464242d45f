package io.salientstream.stack;

import org.slf4j.LoggerFactory;

/**
 * Turns the broker's own loggers down to WARN when logback is the SLF4J binding (our apps and
 * tests), so an in-process broker does not drown the application's output. Any other binding is
 * left alone.
 */
final class QuietLogs {
  private static final String[] BROKER_LOGGERS = {
    "kafka", "org.apache.kafka", "state.change.logger", "org.apache.zookeeper"
  };

  private QuietLogs() {}

  static void apply() {
    Object factory = LoggerFactory.getILoggerFactory();
    if (factory.getClass().getName().equals("ch.qos.logback.classic.LoggerContext")) {
      Logback.quiet(factory);
    }
  }

  /** Only loaded when logback is present. */
  private static final class Logback {
    static void quiet(Object factory) {
      ch.qos.logback.classic.LoggerContext ctx = (ch.qos.logback.classic.LoggerContext) factory;
      for (String name : BROKER_LOGGERS) {
        ch.qos.logback.classic.Logger l = ctx.getLogger(name);
        if (l.getLevel() == null) {
          l.setLevel(ch.qos.logback.classic.Level.WARN);
        }
      }
    }
  }
}
