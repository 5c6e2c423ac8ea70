package io.touchstream.flink;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;

/**
 * {@code PARSE_EVENT(line)}: one event-log line parsed once into the columns the job uses.
 *
 * <p>Fifteen {@code JSON_VALUE} calls parse the line fifteen times; this parses it once. The
 * semantics follow {@code JSON_VALUE} + {@code TRY_CAST}: text fields are the scalar's text
 * (null when missing, null or not a scalar), {@code ts} and {@code received_at} are integral
 * numbers or digit strings, {@code step} an int, {@code amount} a number. Returns null when
 * the line is not a JSON object. Declared non-deterministic so the planner calls it once per
 * row instead of once per field it projects.
 */
public class ParseEvent extends ScalarFunction {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @DataTypeHint(
            "ROW<ts_ms BIGINT, event_id STRING, user_id STRING, channel STRING, event STRING,"
                    + " session_id STRING, page STRING, business STRING, flow STRING, step INT,"
                    + " amount DOUBLE, received_ms BIGINT, share_id STRING, ref_share_id STRING>")
    public Row eval(String line) {
        if (line == null) {
            return null;
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(line);
        } catch (Exception e) {
            return null;
        }
        if (root == null || !root.isObject()) {
            return null;
        }
        JsonNode props = root.path("props");
        Long received = integral(root.get("received_at"));
        Long step = integral(props.get("step"));
        Double amount = number(props.get("amount"));
        return Row.of(
                integral(root.get("ts")),
                text(root.get("event_id")),
                text(root.get("user_id")),
                text(root.get("channel")),
                text(root.get("event")),
                orEmpty(text(root.get("session_id"))),
                orEmpty(text(root.get("page"))),
                orEmpty(text(props.get("business"))),
                orEmpty(text(props.get("flow"))),
                step != null && step >= Integer.MIN_VALUE && step <= Integer.MAX_VALUE ? step.intValue() : 0,
                amount != null ? amount : 0.0,
                received != null ? received : 0L,
                orEmpty(text(props.get("share_id"))),
                orEmpty(text(props.get("ref_share_id"))));
    }

    @Override
    public boolean isDeterministic() {
        return false;
    }

    private static String text(JsonNode node) {
        return node != null && node.isValueNode() && !node.isNull() ? node.asText() : null;
    }

    private static String orEmpty(String value) {
        return value != null ? value : "";
    }

    private static Long integral(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? node.longValue() : null;
        }
        if (node.isTextual()) {
            try {
                return Long.parseLong(node.textValue().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static Double number(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            try {
                return Double.parseDouble(node.textValue().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }
}
