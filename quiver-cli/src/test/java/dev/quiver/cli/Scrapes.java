package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics.LabelPair;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics.Metric;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics.MetricFamily;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

/** A store's {@code /metrics} scraped in the protobuf format and parsed by the Prometheus client's own classes. */
final class Scrapes {
    private static final String PROTOBUF =
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

    private Scrapes() {}

    /** One scrape of {@code httpUrl + "metrics"}, by family name. */
    static Map<String, MetricFamily> scrape(HttpClient http, String httpUrl) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(httpUrl + "metrics"))
                .header("Accept", PROTOBUF).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("protobuf"));
        Map<String, MetricFamily> families = new HashMap<>();
        try (InputStream in = r.body()) {
            MetricFamily f;
            while ((f = MetricFamily.parseDelimitedFrom(in)) != null) {
                families.put(f.getName(), f);
            }
        }
        return families;
    }

    /** The series of {@code name} with these labels (name, value, ...); null if there is none. */
    static Metric metric(Map<String, MetricFamily> scrape, String name, String... labels) {
        MetricFamily f = scrape.get(name);
        if (f == null) {
            return null;
        }
        for (Metric m : f.getMetricList()) {
            Map<String, String> have = new HashMap<>();
            for (LabelPair l : m.getLabelList()) {
                have.put(l.getName(), l.getValue());
            }
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                match &= labels[i + 1].equals(have.get(labels[i]));
            }
            if (match) {
                return m;
            }
        }
        return null;
    }
}
