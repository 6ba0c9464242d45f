import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.serde.*;
import org.apache.avro.Schema;
import org.apache.avro.generic.*;
import java.util.*;
public class Check {
    public static void main(String[] a) throws Exception {
        var client = new HttpSchemaRegistryClient(System.getenv().getOrDefault("REGISTRY_URL", "http://localhost:8081"));
        Schema s = new Schema.Parser().parse(new java.io.File(a[0]));
        GenericRecord r = new GenericData.Record(s);
        r.put("experimentId", "java"); r.put("step", 77L); r.put("values", List.of(0.5f)); r.put("layer", "L2");
        byte[] b = new KafkaAvroSerializer(client).serialize("interop", r);
        System.out.println("javaHex=" + HexFormat.of().formatHex(b));
        Object back = new KafkaAvroDeserializer(client).deserialize("interop", HexFormat.of().parseHex(a[1]));
        System.out.println("decodedFromKafkajs=" + back);
    }
}
