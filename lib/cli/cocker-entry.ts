import { launch } from './launch.js'
import { main } from './main.js'

launch(main)
