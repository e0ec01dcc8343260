/** The worker script AsyncPlanner starts: the planning loop of planner-worker-loop.ts, no hooks. */
import { runPlannerWorker } from './planner-worker-loop.js';

export type {
  FromPlannerWorker,
  ModelSource,
  PlannerWorkerData,
  ToPlannerWorker,
} from './planner-worker-loop.js';

void runPlannerWorker();
