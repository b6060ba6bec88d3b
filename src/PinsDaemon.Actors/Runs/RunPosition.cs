namespace PinsDaemon.Actors.Runs;

/// <summary>
/// How far the daemon has taken a run's output: byte offsets into <c>NAME.out</c> and
/// <c>NAME.err</c>, each at the start of a line not yet taken. A line's identity is its
/// stream and offset, so following again from a position neither loses nor repeats a line.
/// </summary>
public readonly record struct RunPosition(long Out, long Err)
{
    public static readonly RunPosition Start = new(0, 0);

    public override string ToString() => $"out={Out} err={Err}";
}
