export { applyCgroupPlan, freeze, isFrozen, listPids, removeCgroup } from './apply.js'
export { detectCgroups, type CgroupLayout } from './layout.js'
export { v1Views } from './path.js'
export { cgroupDirs, planCgroup, unavailableLine, type CgroupPlan, type PlanOptions, type Unavailable } from './plan.js'
