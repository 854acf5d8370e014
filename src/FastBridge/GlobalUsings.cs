// The core helpers every layer may use (FastBridge.Core depends on no other FastBridge namespace, so no cycle).
global using FastBridge.Core;
