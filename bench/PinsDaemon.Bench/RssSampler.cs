namespace PinsDaemon.Bench;

/// <summary>Reads a process's RSS every 10 ms on its own thread and keeps the peak.</summary>
internal sealed class RssSampler
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private readonly int _pid;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peakKiB;
    private int _samples;

    public RssSampler(int pid)
    {
        _pid = pid;
        _thread = new Thread(Loop) { IsBackground = true, Name = "rss-sampler" };
        _thread.Start();
    }

    public int Samples => _samples;

    /// <summary>Stops sampling and returns the peak RSS seen, in KiB.</summary>
    public long Stop()
    {
        _stop = true;
        _thread.Join();
        return _peakKiB;
    }

    private void Loop()
    {
        while (!_stop)
        {
            var rss = ProcFs.RssKiB(_pid);
            if (rss > _peakKiB)
            {
                _peakKiB = rss;
            }

            _samples++;
            Thread.Sleep(Interval);
        }
    }
}
