package io.salientstream.stack;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
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
      LoggerContext ctx = (LoggerContext) factory;
      for (String name : BROKER_LOGGERS) {
        Logger l = ctx.getLogger(name);
        if (l.getLevel() == null) {
          l.setLevel(Level.WARN);
        }
      }
    }
  }
}
