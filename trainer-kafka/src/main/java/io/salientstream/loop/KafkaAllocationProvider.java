package io.salientstream.loop;

import io.salientstream.streams.LayeredConfig;
import io.salientstream.trainer.host.AllocationHostProvider;
import io.salientstream.trainer.train.Experiment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code train --allocation kafka-sync|kafka-async}: the trainer publishes its steps and applies
 * the commands of the salience-analyzer and pruner. Settings: defaults &lt; {@code KAFKA_*} /
 * {@code SALIENTSTREAM_*} environment &lt; {@code --allocation-config key=value}.
 */
public final class KafkaAllocationProvider implements AllocationHostProvider {

  /**
   * The allocation setting naming the configuration file ({@code --allocation-config config=FILE}).
   */
  public static final String CONFIG = "config";

  @Override
  public List<String> names() {
    return List.of("kafka-sync", "kafka-async");
  }

  @Override
  public Experiment.HostFactory factory(
      String allocation, String experimentId, Map<String, String> settings) {
    Map<String, String> flags = new HashMap<>();
    List<String> kv = new ArrayList<>();
    // the properties file of the layered configuration (where credentials belong): the setting
    // "config", else $SALIENTSTREAM_CONFIG
    String configFile =
        settings.containsKey(CONFIG) ? settings.get(CONFIG) : System.getenv("SALIENTSTREAM_CONFIG");
    settings.forEach(
        (k, v) -> {
          if (k.equals(CONFIG)) {
            return;
          }
          if (k.equals("schema.registry.url")) {
            flags.put(LayeredConfig.REGISTRY_URL, v);
          } else {
            kv.add(k + "=" + v);
          }
        });
    LayeredConfig cfg =
        LayeredConfig.resolve(
            configFile == null || configFile.isBlank() ? null : Path.of(configFile),
            System.getenv(),
            flags,
            kv);
    Map<String, Object> config = new HashMap<>(cfg.serdeProperties());
    KafkaAllocationHost.Mode mode =
        allocation.equals("kafka-sync")
            ? KafkaAllocationHost.Mode.SYNC
            : KafkaAllocationHost.Mode.ASYNC;
    long timeoutSeconds = cfg.syncTimeoutSeconds();
    return new KafkaHosts(
        config,
        LoopTopics.forPrefix(cfg.tenant()),
        experimentId,
        cfg.tenant(),
        mode,
        Duration.ofSeconds(timeoutSeconds),
        h -> {});
  }
}
