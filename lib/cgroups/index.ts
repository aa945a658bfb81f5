export { applyCgroupPlan, freeze, isFrozen, listPids, removeCgroup } from './apply.js'
export { detectCgroups, type CgroupLayout } from './layout.js'
export { v1Views } from './path.js'
export { cgroupDirs, planCgroup, type CgroupPlan, type PlanOptions } from './plan.js'
