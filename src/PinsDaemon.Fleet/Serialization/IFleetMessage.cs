namespace PinsDaemon.Fleet.Serialization;

/// <summary>
/// Marks what crosses the wire between nodes or is replicated: messages and records of the fleet.
/// They are bound to <see cref="FleetSerializer"/>, which reads only these types, never a type
/// named by the bytes it is given.
/// </summary>
public interface IFleetMessage;
