using PinsDaemon.Actors.Jobs;

namespace PinsDaemon.Actors.Processes;

/// <summary>A line read from a process, before the job numbers it.</summary>
public readonly record struct OutputLine(LogStream Stream, string Text);
