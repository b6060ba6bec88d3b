using System.Diagnostics;
using PinsDaemon.Contracts;
using Spectre.Console;

namespace PinsDaemon.Cli.Output;

/// <summary>
/// What pins says about a job, on stderr. On a terminal: one line at the bottom, redrawn in
/// place, with the phase, a bar for apt's percentage, the package and the time elapsed; log
/// lines scroll above it. Otherwise: a plain line whenever the phase or the package changes.
/// </summary>
/// <remarks>
/// Spectre's live display owns the stream it draws on, while the log must go to stdout; so the
/// line is drawn here, with Spectre's terminal detection and character widths, and cleared before
/// each burst of log lines when stdout is the same terminal.
/// </remarks>
internal sealed class StatusReporter : IDisposable
{
    private const int BarWidth = 20;

    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly Terminal _terminal;
    private readonly Lock _gate = new();
    private Timer? _ticker;
    private string? _job;
    private ProgressFrame? _progress;
    private Stopwatch _elapsed = new();
    private TimeSpan _elapsedBefore;
    private bool _shown;
    private (string? Phase, string? Package) _lastPlain;

    public StatusReporter(Terminal terminal)
    {
        _terminal = terminal;
    }

    public void Info(string message) => Say(message, null);

    public void Warn(string message) => Say($"warning: {message}", "yellow");

    public void Error(string message) => Say(message, "red");

    /// <summary>Shows the progress line for <paramref name="job"/> until <see cref="EndJob"/>.</summary>
    public void BeginJob(string job, DateTimeOffset? startedAt)
    {
        lock (_gate)
        {
            _job = job;
            _progress = null;
            _lastPlain = default;
            _elapsedBefore = startedAt is { } started && DateTimeOffset.UtcNow > started ? DateTimeOffset.UtcNow - started : TimeSpan.Zero;
            _elapsed = Stopwatch.StartNew();
            if (_terminal.LiveStatus)
            {
                Draw();
                _ticker ??= new Timer(_ => Tick(), null, TickInterval, TickInterval);
            }
        }
    }

    public void Progress(ProgressFrame progress)
    {
        lock (_gate)
        {
            _progress = progress;
            if (_terminal.LiveStatus)
            {
                Draw();
                return;
            }

            if ((progress.Phase, progress.Package) != _lastPlain)
            {
                _lastPlain = (progress.Phase, progress.Package);
                var package = progress.Package is { } name ? $" {ControlCharacters.Neutralize(name)}" : string.Empty;
                Console.Error.WriteLine($"pins: {ControlCharacters.Neutralize(progress.Phase)}{package}");
            }
        }
    }

    public void EndJob()
    {
        lock (_gate)
        {
            _ticker?.Dispose();
            _ticker = null;
            Hide();
            _job = null;
        }
    }

    /// <summary>
    /// Held while log lines are written to stdout: when stdout is the same terminal, the
    /// progress line is taken away first and drawn again below the new lines.
    /// </summary>
    public Scope WritingOutput()
    {
        _gate.Enter();
        var redraw = _shown && _terminal.OutputIsTerminal;
        if (redraw)
        {
            Hide();
        }

        return new Scope(this, redraw);
    }

    public void Dispose() => EndJob();

    private void Say(string message, string? colour)
    {
        lock (_gate)
        {
            var redraw = _shown;
            Hide();
            if (colour is not null && _terminal.ErrorIsTerminal)
            {
                _terminal.Error.MarkupLine($"[{colour}]pins: {Markup.Escape(message)}[/]");
            }
            else
            {
                Console.Error.WriteLine($"pins: {message}");
            }

            if (redraw)
            {
                Draw();
            }
        }
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_shown)
            {
                Draw();
            }
        }
    }

    private void Hide()
    {
        if (_shown)
        {
            Console.Error.Write("\r\u001b[2K");
            _shown = false;
        }
    }

    private void Draw()
    {
        if (_job is null)
        {
            return;
        }

        var width = Math.Max(20, _terminal.Error.Profile.Width - 1);
        var unicode = _terminal.Error.Profile.Capabilities.Unicode;
        var phase = _progress is { } p ? ControlCharacters.Neutralize(p.Phase) : "running";
        var percent = _progress?.Percent is { } value ? Math.Clamp(value, 0, 100) : (double?)null;
        var filled = percent is { } pct ? (int)Math.Round(pct / 100 * BarWidth) : 0;
        var (done, todo) = unicode ? ('━', '─') : ('#', '-');
        var bar = new string(done, filled) + new string(todo, BarWidth - filled);
        var elapsed = _elapsedBefore + _elapsed.Elapsed;
        var clock = elapsed.TotalHours >= 1 ? elapsed.ToString(@"h\:mm\:ss") : elapsed.ToString(@"mm\:ss");
        var percentText = percent is { } shown ? $"{shown,3:0}%" : "    ";
        var detail = string.Join(": ", new[] { _progress?.Package, _progress?.Message }.Where(s => !string.IsNullOrEmpty(s)).Select(s => ControlCharacters.Neutralize(s!)));
        var head = $"{phase,-8} ";
        var tail = $" {percentText} {clock} ";
        var room = width - head.GetCellWidth() - BarWidth - tail.GetCellWidth();
        detail = TerminalText.Fit(detail, room, unicode ? "…" : "...");
        Console.Error.Write($"\r\u001b[2K\u001b[1m{head}\u001b[0m\u001b[36m{bar[..filled]}\u001b[0m\u001b[2m{bar[filled..]}\u001b[0m{tail}{detail}");
        _shown = true;
    }

    /// <summary>The lock taken by <see cref="WritingOutput"/>; disposing it draws the progress line again.</summary>
    public readonly struct Scope(StatusReporter owner, bool redraw) : IDisposable
    {
        public void Dispose()
        {
            if (redraw)
            {
                owner.Draw();
            }

            owner._gate.Exit();
        }
    }
}
