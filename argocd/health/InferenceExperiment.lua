-- Argo CD health check for sagemaker.inference-operator.dev/InferenceExperiment.
-- Argo CD runs this with the live object as the global `obj` (Lua 5.1, gopher-lua) and reads
-- hs.status (Healthy, Progressing, Degraded, Suspended) and hs.message.
local hs = {}

local function condition(status, type)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function text(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

local status = obj.status
if status == nil or next(status) == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local stalled = condition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = text(stalled, "Stalled")
  return hs
end

local ready = condition(status, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = text(ready, status.status or "Ready")
  return hs
end

local sagemaker = status.status
if sagemaker == "Failed" then
  hs.status = "Degraded"
  hs.message = status.statusReason or text(ready, "Failed")
  return hs
end

-- An experiment that ended is healthy when the user asked for that end (spec.desiredState); one
-- that ended on its own (schedule over, stopped outside Kubernetes) is reported as Suspended.
if sagemaker == "Completed" or sagemaker == "Cancelled" then
  local desired = "Running"
  if obj.spec ~= nil and obj.spec.desiredState ~= nil then
    desired = obj.spec.desiredState
  end
  if desired == sagemaker then
    hs.status = "Healthy"
    hs.message = "Experiment " .. sagemaker .. " as requested"
  else
    hs.status = "Suspended"
    hs.message = "Experiment " .. sagemaker .. " while spec.desiredState is " .. desired
    if status.statusReason ~= nil and status.statusReason ~= "" then
      hs.message = hs.message .. ": " .. status.statusReason
    end
  end
  return hs
end

if sagemaker == "Creating" or sagemaker == "Created" or sagemaker == "Updating" or sagemaker == "Starting"
    or sagemaker == "Stopping" or sagemaker == "Deleting" then
  hs.status = "Progressing"
  hs.message = text(ready, sagemaker)
  return hs
end

hs.status = "Progressing"
hs.message = text(ready, "Waiting for the experiment to run")
return hs
