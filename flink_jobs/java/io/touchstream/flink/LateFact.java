package io.touchstream.flink;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code LATE_FACT(line, applied_ms)}: the event-log line of a late fact, restamped for the tag
 * engine: {@code ts} becomes {@code applied_ms} (the watermark when the job read it, plus one) and
 * the event's own time moves to {@code late_ts}. Applying a late fact at a time fixed by the read
 * order, instead of at whatever a user's clock happens to be, keeps catching up on a backlog equal
 * to live processing (docs/time.md). Late facts are rare, so a tree parse here costs nothing.
 */
public class LateFact extends ScalarFunction {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public String eval(String line, Long appliedMs) {
        if (line == null || appliedMs == null) {
            return line;
        }
        try {
            JsonNode node = MAPPER.readTree(line);
            if (!(node instanceof ObjectNode)) {
                return line;
            }
            ObjectNode event = (ObjectNode) node;
            event.set("late_ts", event.get("ts"));
            event.put("ts", appliedMs);
            return MAPPER.writeValueAsString(event);
        } catch (Exception e) {
            return line;
        }
    }
}
