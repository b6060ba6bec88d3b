using Akka.Actor;
using Akka.Hosting;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Services.AddAkka("baseline", akka => akka.WithActors((system, registry) =>
    registry.Register<Echo>(system.ActorOf(Props.Create<Echo>(), "echo"))));
var app = builder.Build();
app.MapGet("/healthz", async (IRequiredActor<Echo> echo, CancellationToken cancel) =>
    TypedResults.Text(await (await echo.GetAsync(cancel)).Ask<string>("ok", TimeSpan.FromSeconds(5), cancel)));
app.Run();

/// <summary>The one actor: answers what it is sent.</summary>
internal sealed class Echo : ReceiveActor
{
    public Echo() => Receive<string>(message => Sender.Tell(message));
}
