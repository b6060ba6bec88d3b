using System.Diagnostics.Metrics;
using Prometheus;

namespace PinsDaemon.Host.Metrics;

/// <summary>
/// Exports one <see cref="Meter"/>'s instruments through prometheus-net, each under its own name:
/// counters as counters, histograms as histograms (buckets from the instrument's advice),
/// observable gauges as gauges read at every scrape. prometheus-net's own MeterAdapter is not
/// used: it prefixes every name with the meter's, exports counters as gauges and drops series
/// idle for five minutes, none of which fits names that existing alerts depend on.
/// </summary>
internal sealed class PrometheusBridge : IDisposable
{
    private readonly Meter _meter;
    private readonly MetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly object _gate = new();
    private readonly Dictionary<Instrument, Collector> _collectors = [];

    /// <summary>Gauge series written during the current scrape; the others are removed after it.</summary>
    private readonly HashSet<(Gauge, string)> _seen = [];

    public PrometheusBridge(Meter meter, Func<CancellationToken, Task> beforeScrape)
    {
        _meter = meter;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        Registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            await beforeScrape(cancellationToken);
            lock (_gate)
            {
                _seen.Clear();
                _listener.RecordObservableInstruments();
                RemoveUnseenGaugeSeries();
            }
        });
    }

    /// <summary>What <c>GET /metrics</c> serves: only this meter's instruments, no process or runtime defaults.</summary>
    public CollectorRegistry Registry { get; }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = tags[i].Key;
            values[i] = tags[i].Value?.ToString() ?? string.Empty;
        }

        lock (_gate)
        {
            switch (Collector(instrument, names))
            {
                case Counter counter:
                    counter.WithLabels(values).Inc(value);
                    break;
                case Histogram histogram:
                    histogram.WithLabels(values).Observe(value);
                    break;
                case Gauge gauge:
                    gauge.WithLabels(values).Set(value);
                    _seen.Add((gauge, string.Join('\0', values)));
                    break;
            }
        }
    }

    /// <summary>The Prometheus metric of an instrument, made at its first measurement (its label names are fixed from then on).</summary>
    private Collector Collector(Instrument instrument, string[] labelNames)
    {
        if (_collectors.TryGetValue(instrument, out var collector))
        {
            return collector;
        }

        var help = instrument.Description ?? instrument.Name;
        collector = instrument switch
        {
            Counter<long> or Counter<double> => _factory.CreateCounter(instrument.Name, help, labelNames),
            Histogram<double> histogram => _factory.CreateHistogram(instrument.Name, help, labelNames, new HistogramConfiguration
            {
                Buckets = histogram.Advice?.HistogramBucketBoundaries?.ToArray() ?? Prometheus.Histogram.ExponentialBuckets(0.01, 2, 25),
            }),
            _ => _factory.CreateGauge(instrument.Name, help, labelNames),
        };
        _collectors[instrument] = collector;
        return collector;
    }

    private void RemoveUnseenGaugeSeries()
    {
        foreach (var gauge in _collectors.Values.OfType<Gauge>())
        {
            if (gauge.LabelNames.Length == 0)
            {
                if (!_seen.Contains((gauge, string.Empty)))
                {
                    gauge.Unpublish();
                }

                continue;
            }

            foreach (var labels in gauge.GetAllLabelValues().ToArray())
            {
                if (!_seen.Contains((gauge, string.Join('\0', labels))))
                {
                    gauge.RemoveLabelled(labels);
                }
            }
        }
    }
}
