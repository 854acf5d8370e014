using FastBridge.Switching;

namespace FastBridge.Control;

/// <summary>
/// The mirror verbs: <c>{"verb":"mirror-add","mirror":{"name":"ids","from":["tap1"],"to":"tap9"}}</c> adds a port
/// mirror live (the response's <c>mirrors</c> holds it), <c>{"verb":"mirror-del","name":"ids"}</c> deletes one,
/// <c>{"verb":"mirror-list"}</c> lists them all (<see cref="MirrorInfo"/>).
/// </summary>
internal static class MirrorVerbs
{
    public static ControlResponse Add(Bridge bridge, ControlRequest request)
    {
        if (request.Mirror is null)
        {
            return ControlResponse.Failure("mirror-add needs \"mirror\"");
        }

        if (!request.Mirror.TryToMirror(out Mirror? mirror, out string? error))
        {
            return ControlResponse.Failure(error);
        }

        bridge.AddMirror(mirror); // a bad port or a duplicate name throws, and ControlVerbs answers with its message
        return new ControlResponse { Ok = true, Mirrors = [MirrorInfo.Of(bridge.Mirrors.First(m => m.Name == mirror.Name))] };
    }

    public static ControlResponse Del(Bridge bridge, ControlRequest request)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            return ControlResponse.Failure("mirror-del needs \"name\"");
        }

        return bridge.RemoveMirror(request.Name)
            ? new ControlResponse { Ok = true }
            : ControlResponse.Failure($"no mirror named '{request.Name}'");
    }

    public static ControlResponse List(Bridge bridge) =>
        new() { Ok = true, Mirrors = [.. bridge.Mirrors.Select(MirrorInfo.Of)] };
}
