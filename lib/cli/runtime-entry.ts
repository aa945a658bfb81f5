import { launch } from './launch.js'
import { main } from './runtime-main.js'

launch(main)
