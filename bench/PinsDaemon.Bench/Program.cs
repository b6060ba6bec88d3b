using System.Text.Json;
using PinsDaemon.Bench;

// bench/run.sh builds everything and calls this with every path; see bench/README.md.
if (args is ["probe", ..])
{
    try
    {
        return await Probe.RunAsync(args[1..]);
    }
    catch (BenchException ex)
    {
        Console.Error.WriteLine($"bench: {ex.Message}");
        return 64;
    }
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is BenchException or FormatException)
{
    Console.Error.WriteLine($"bench: {ex.Message}");
    return 64;
}

var runner = new BenchRunner(options);
var started = DateTimeOffset.UtcNow;
var loadBefore = Report.LoadAverage();
try
{
    await runner.RunAsync();
}
catch (BenchException ex)
{
    Console.Error.WriteLine($"bench: FAILED: {ex.Message}");
    return 1;
}

var finished = DateTimeOffset.UtcNow;
var report = Report.Render(options, runner.Samples, runner.Notes, started, finished, loadBefore, Report.LoadAverage());
Console.WriteLine(report);
if (options.Output is { } output)
{
    File.WriteAllText(output, report);
}

if (options.JsonOutput is { } json)
{
    var raw = new
    {
        machine = Report.MachineInfo(),
        label = options.Label,
        started,
        finished,
        runs = options.Runs,
        quick = options.Quick,
        samples = runner.Samples.All.ToDictionary(pair => pair.Key, pair => pair.Value),
        notes = runner.Notes,
    };
    File.WriteAllText(json, JsonSerializer.Serialize(raw, new JsonSerializerOptions { WriteIndented = true }));
}

return 0;
